"""Every route, walked by every role and by an anonymous visitor.

The table below is the access policy. A new route must be added here, or
`test_every_route_is_in_the_matrix` fails: no page escapes the walk.
"""

from __future__ import annotations

import pytest

from app.domain.people import Role
from tests.conftest import Auth, csrf_token
from tests.factories import UnitFactory, make_user

C, E, H, A = Role.CANDIDATE, Role.EXAMINER, Role.HR, Role.ADMIN
EVERYONE = (C, E, H, A)
PUBLIC = "public"

# (method, path template, roles allowed; PUBLIC = no sign-in needed)
MATRIX: list[tuple[str, str, object]] = [
    ("GET", "/", EVERYONE),
    ("GET", "/healthz", PUBLIC),
    ("POST", "/language", PUBLIC),
    ("GET", "/auth/login", PUBLIC),
    ("POST", "/auth/login", PUBLIC),
    ("POST", "/auth/logout", EVERYONE),
    ("GET", "/auth/password", EVERYONE),
    ("POST", "/auth/password", EVERYONE),
    ("GET", "/candidate/", (C,)),
    ("GET", "/examiner/", (E,)),
    ("GET", "/hr/", (H,)),
    ("GET", "/hr/roster/import", (H, A)),
    ("POST", "/hr/roster/import", (H, A)),
    ("POST", "/hr/roster/import/confirm", (H, A)),
    ("POST", "/hr/roster/import/credentials", (H, A)),
    ("GET", "/admin/", (A,)),
    ("GET", "/admin/users", (A,)),
    ("GET", "/admin/users/new", (A,)),
    ("POST", "/admin/users/new", (A,)),
    ("GET", "/admin/users/{user_id}", (A,)),
    ("POST", "/admin/users/{user_id}", (A,)),
    ("POST", "/admin/users/{user_id}/reset-password", (A,)),
    ("GET", "/admin/units", (A,)),
    ("POST", "/admin/units", (A,)),
    ("GET", "/admin/units/{unit_id}", (A,)),
    ("POST", "/admin/units/{unit_id}", (A,)),
    ("GET", "/admin/audit", (A,)),
]
VISITORS = [None, C, E, H, A]


def _case_id(case: tuple[str, str, object], visitor: Role | None) -> str:
    return f"{case[0]} {case[1]} as {visitor.value if visitor else 'anonymous'}"


@pytest.mark.parametrize(
    ("case", "visitor"),
    [(case, visitor) for case in MATRIX for visitor in VISITORS],
    ids=[_case_id(case, visitor) for case in MATRIX for visitor in VISITORS],
)
def test_route_allows_exactly_its_roles(client, case, visitor):
    method, template, allowed = case
    target = make_user(Role.EXAMINER)  # an object for the id routes; never the visitor
    path = template.format(user_id=target.id, unit_id=UnitFactory().id)
    if visitor is not None:
        user = make_user(visitor)
        assert Auth(client).login(user.username).status_code == 302
    if method == "GET":
        response = client.get(path)
    else:
        token_page = "/auth/password" if visitor else "/auth/login"
        response = client.post(path, data={"csrf_token": csrf_token(client, token_page)})

    if allowed == PUBLIC:
        assert response.status_code in (200, 302, 400), response.status_code
        assert response.status_code != 403
    elif visitor is None:
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/auth/login")
    elif visitor in allowed:
        assert response.status_code not in (401, 403, 404, 405, 500), response.status_code
        if method == "GET":
            assert response.status_code in (200, 302)
    else:
        assert response.status_code == 403
        if method == "GET":
            assert "您无权访问此页面" in response.get_data(as_text=True)


def test_every_route_is_in_the_matrix(app):
    covered = {(method, template.split("{")[0]) for method, template, _ in MATRIX}
    missing = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        prefix = rule.rule.split("<")[0]
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            if (method, prefix) not in covered:
                missing.append(f"{method} {rule.rule}")
    assert missing == []


def test_nav_shows_only_what_the_role_may_use(client):
    links = {
        C: ["/candidate/"],
        E: ["/examiner/"],
        H: ["/hr/", "/hr/roster/import"],
        A: ["/admin/", "/admin/users", "/admin/units", "/admin/audit", "/hr/roster/import"],
    }
    every_link = {link for role_links in links.values() for link in role_links}
    for role, expected in links.items():
        user = make_user(role)
        auth = Auth(client)
        auth.login(user.username)
        page = client.get(expected[0]).get_data(as_text=True)
        nav = page.split('id="mainnav"')[1].split("</ul>")[0]
        shown = {link for link in every_link if f'href="{link}"' in nav}
        assert shown == set(expected), role
        auth.logout()


def test_a_user_with_several_roles_sees_each_area(client):
    user = make_user(Role.HR, Role.EXAMINER)
    Auth(client).login(user.username)
    assert client.get("/hr/").status_code == 200
    assert client.get("/examiner/").status_code == 200
    assert client.get("/admin/").status_code == 403
