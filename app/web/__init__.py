"""The web layer: one Flask blueprint per audience."""

from flask import Flask


def register(app: Flask) -> None:
    from app.web.admin.views import bp as admin
    from app.web.api.views import bp as api
    from app.web.auth.views import bp as auth
    from app.web.candidate.views import bp as candidate
    from app.web.examiner.views import bp as examiner
    from app.web.hr.views import bp as hr
    from app.web.main.views import bp as main

    for blueprint in (main, auth, candidate, examiner, hr, admin, api):
        app.register_blueprint(blueprint)
