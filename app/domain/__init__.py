"""The exam core: plain Python over frozen dataclasses.

Nothing in this package may import flask or sqlalchemy (a test checks), so the
rules of the bank, the papers and the grading can be read and tested alone.
"""
