"""Candidate forms. They check shape only; whether a start is allowed is the service's rule."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField
from wtforms.validators import DataRequired


class StartForm(FlaskForm):
    pledge = BooleanField(
        _l(
            "I will sit this exam on my own, without help from other people, and keep its "
            "questions to myself."
        ),
        validators=[DataRequired(_l("Tick the pledge to start."))],
    )
