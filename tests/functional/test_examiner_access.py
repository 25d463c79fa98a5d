"""Only examiners open the examiner pages: every route in the URL map, for every other role."""

from __future__ import annotations

import re

import pytest

from app.domain.people import Role
from tests.conftest import Auth, csrf_token
from tests.factories import make_user


def examiner_routes(app) -> list[tuple[str, str]]:
    routes = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("examiner."):
            path = re.sub(r"<int:\w+>", "1", rule.rule.replace("<question_id>", "ceshi-0001"))
            path = re.sub(r"<(?:string:)?\w+>", "ceshi", path)
            routes.extend((method, path) for method in sorted(rule.methods - {"HEAD", "OPTIONS"}))
    return routes


def test_the_examiner_area_has_its_pages(app):
    assert len(examiner_routes(app)) >= 18


@pytest.mark.parametrize("role", [Role.CANDIDATE, Role.HR, Role.ADMIN])
def test_non_examiners_get_403_on_every_examiner_route(app, client, role):
    Auth(client).login(make_user(role).username)
    token = csrf_token(client, "/auth/password")
    for method, path in examiner_routes(app):
        if method == "GET":
            response = client.get(path)
        else:
            response = client.open(path, method=method, data={"csrf_token": token})
        assert response.status_code == 403, (role, method, path)


def test_anonymous_visitors_are_sent_to_sign_in(app, client):
    token = csrf_token(client)
    for method, path in examiner_routes(app):
        response = client.open(path, method=method, data={"csrf_token": token})
        assert response.status_code == 302, (method, path)
        assert response.headers["Location"].startswith("/auth/login")


def test_examiners_see_their_pages_in_the_navigation(client):
    Auth(client).login(make_user(Role.EXAMINER).username)
    nav = client.get("/examiner/").get_data(as_text=True).split('id="mainnav"')[1].split("</ul>")[0]
    for link in (
        "/examiner/questions",
        "/examiner/review",
        "/examiner/laws",
        "/examiner/bank/upload",
    ):
        assert f'href="{link}"' in nav
