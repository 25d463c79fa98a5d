"""Security headers on every response, and no caching of pages or API replies.

Every GET route in the URL map is fetched by each role and by an anonymous visitor,
with ids filled from a small world (an exam in progress, a submitted one, a case), so a
route added later is checked without anyone listing it here. Errors (400, 403, 404, 405,
413, 500) and redirects carry the headers too.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import abort

from app.domain.people import Role
from app.models import Attempt
from app.services import appointments
from app.services.reports import Scope
from app.timeutil import utcnow
from tests.conftest import Auth, csrf_token
from tests.exam_setup import load_starter_bank, open_exam
from tests.factories import CadreFactory, make_user
from tests.functional.test_attacks import fill, sign_in

EXPORT_FORMATS = ("csv", "xlsx")


def csp_directives(response) -> dict[str, str]:
    policy = response.headers.get("Content-Security-Policy", "")
    directives = {}
    for part in policy.split(";"):
        name, _, value = part.strip().partition(" ")
        if name:
            directives[name] = value.strip()
    return directives


def check_headers(response, where: str) -> None:
    """The headers every response carries, whatever its status or type."""
    directives = csp_directives(response)
    assert directives, f"{where}: no Content-Security-Policy"
    script_src = directives.get("script-src", directives.get("default-src", ""))
    assert script_src, where
    for unsafe in ("'unsafe-inline'", "'unsafe-eval'", "'unsafe-hashes'", "data:", "*", "http:"):
        assert unsafe not in script_src.split(), (where, script_src)
    assert directives.get("default-src") == "'self'", where
    assert directives.get("object-src") == "'none'", where
    assert directives.get("frame-ancestors") == "'none'", where
    assert directives.get("base-uri") in ("'self'", "'none'"), where
    assert "form-action" in directives, where
    headers = response.headers
    assert headers.get("X-Content-Type-Options") == "nosniff", where
    assert headers.get("X-Frame-Options") == "DENY", where
    assert headers.get("Referrer-Policy") in ("same-origin", "no-referrer", "strict-origin"), where
    assert headers.get("Permissions-Policy"), where
    assert headers.get("X-Request-ID"), where


def check_no_store(response, where: str) -> None:
    assert "no-store" in response.headers.get("Cache-Control", ""), (
        where,
        response.headers.get("Cache-Control"),
    )


def get_rules(app):
    """Every GET rule but static files, sorted by path."""
    return sorted(
        (r for r in app.url_map.iter_rules() if "GET" in r.methods and r.endpoint != "static"),
        key=lambda r: r.rule,
    )


def paths_for(app, values: dict[str, object]) -> list[str]:
    """One path per GET rule (one per export format), ids filled from `values`."""
    paths = []
    for rule in get_rules(app):
        if "fmt" in rule.arguments:
            paths += [fill(rule, values | {"fmt": fmt}) for fmt in EXPORT_FORMATS]
        else:
            paths.append(fill(rule, values))
    return paths


@pytest.fixture
def world(app, db_session):
    """Users of every role, an exam in progress and a submitted one, and a case."""
    load_starter_bank(db_session)
    candidate = make_user(Role.CANDIDATE)
    exam = open_exam(db_session, staff_nos=(candidate.cadre.staff_no,), title="进行中")
    done = open_exam(db_session, staff_nos=(candidate.cadre.staff_no,), title="已交卷")
    client = app.test_client()
    token = sign_in(client, candidate)
    headers = {"X-CSRFToken": token}
    live = client.post(f"/api/exams/{exam.id}/attempts", headers=headers).get_json()["id"]
    finished = client.post(f"/api/exams/{done.id}/attempts", headers=headers).get_json()["id"]
    assert client.post(f"/api/attempts/{finished}/submit", headers=headers).status_code == 200
    nominee = CadreFactory()
    case = appointments.register_case(
        db_session,
        None,
        appointments.CaseRequest(
            staff_no=nominee.staff_no,
            proposed_post="司法局副局长",
            appointing_body="市委组织部",
            blueprint_id="pre-appointment-standard",
        ),
        Scope(),
        timezone="Asia/Shanghai",
    )
    users = {
        Role.CANDIDATE: candidate,
        Role.EXAMINER: make_user(Role.EXAMINER),
        Role.HR: make_user(Role.HR),
        Role.ADMIN: make_user(Role.ADMIN),
    }
    values = {
        "exam_id": exam.id,
        "attempt_id": live,
        "cadre_id": candidate.cadre_id,
        "case_id": case.id,
        "question_id": "xianfa-0001",
        "blueprint_id": "practice",
        "user_id": users[Role.EXAMINER].id,
        "unit_id": candidate.cadre.unit_id,
        "year": utcnow().year,
        "position": 1,
    }
    return {"users": users, "values": values, "finished": finished, "exam": exam}


# ---- every GET route, every role ----------------------------------------------------------


@pytest.mark.parametrize("role", [None, Role.CANDIDATE, Role.EXAMINER, Role.HR, Role.ADMIN])
def test_every_get_route_carries_the_headers_and_no_store(app, world, role):
    client = app.test_client()
    if role is not None:
        sign_in(client, world["users"][role])
    statuses = set()
    paths = paths_for(app, world["values"])
    # The finished attempt's pages as well (a result rather than the sitting).
    paths += [
        f"/candidate/attempts/{world['finished']}/result",
        f"/api/attempts/{world['finished']}/result",
    ]
    for path in paths:
        response = client.get(path)
        where = f"GET {path} as {role.value if role else 'anonymous'} -> {response.status_code}"
        assert response.status_code < 500, where
        statuses.add(response.status_code)
        check_headers(response, where)
        check_no_store(response, where)
        response.close()
    assert len(paths) >= 60
    if role is None:
        assert 302 in statuses
    else:
        assert 200 in statuses


def test_the_candidate_reaches_its_exam_pages(app, world):
    """The walk above really opened the exam pages for the candidate, not only errors."""
    client = app.test_client()
    sign_in(client, world["users"][Role.CANDIDATE])
    values = world["values"]
    for path in (
        "/candidate/",
        f"/candidate/exams/{values['exam_id']}",
        f"/candidate/attempts/{values['attempt_id']}",
        f"/candidate/attempts/{world['finished']}/result",
        "/api/exams",
        f"/api/attempts/{values['attempt_id']}",
        f"/api/attempts/{world['finished']}/result",
        "/api/openapi.json",
    ):
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        check_headers(response, path)
        check_no_store(response, path)
        cache = response.headers["Cache-Control"]
        assert "public" not in cache and "max-age=" not in cache.replace("max-age=0", ""), path


def test_pages_need_no_inline_script_the_policy_would_block(app, world):
    """The policy forbids inline script, so no page may rely on one: every <script>
    loads a file (or is a JSON data block), and no element has an on* handler."""
    for role in (Role.CANDIDATE, Role.EXAMINER, Role.HR, Role.ADMIN):
        client = app.test_client()
        sign_in(client, world["users"][role])
        for path in paths_for(app, world["values"]):
            response = client.get(path)
            if response.mimetype != "text/html":
                continue
            page = response.get_data(as_text=True)
            for tag in page.split("<script")[1:]:
                opening = tag.split(">", 1)[0]
                assert " src=" in opening or 'type="application/json"' in opening, (path, opening)
            lowered = page.lower()
            for handler in (" onclick=", " onload=", " onerror=", " onsubmit=", " onchange="):
                assert handler not in lowered, (path, handler)
            assert "javascript:" not in lowered, path
            assert ' style="' not in lowered, path  # style-src 'self' would drop it


# ---- errors and redirects -----------------------------------------------------------------


def test_errors_and_redirects_carry_the_headers(app, world):
    client = app.test_client()
    anonymous = [
        ("GET", "/no-such-page", 404),
        ("GET", "/api/no-such-thing", 404),
        ("GET", "/candidate/", 302),
        ("GET", "/api/exams", 401),
        ("DELETE", "/api/exams", 405),
        ("POST", "/healthz", 405),
        ("POST", "/auth/logout", 400),  # no CSRF token
    ]
    for method, path, status in anonymous:
        response = client.open(path, method=method)
        where = f"{method} {path}"
        assert response.status_code == status, (where, response.status_code)
        check_headers(response, where)
        check_no_store(response, where)

    sign_in(client, world["users"][Role.CANDIDATE])
    token = csrf_token(client, "/auth/password")
    signed_in = [
        ("GET", "/admin/users", 403, None),
        ("GET", "/examiner/", 403, None),
        ("GET", f"/candidate/attempts/{world['values']['attempt_id'] + 999}", 404, None),
        ("GET", f"/api/attempts/{world['values']['attempt_id'] + 999}", 404, None),
        ("PUT", f"/api/attempts/{world['values']['attempt_id']}/answers/1", 413, "x" * 70_000),
        ("PUT", f"/api/attempts/{world['values']['attempt_id']}/answers/1", 400, "{bad"),
        ("PUT", f"/api/attempts/{world['values']['attempt_id']}/answers/1", 422, None),
        ("POST", "/auth/logout", 400, None),  # CSRF refusal when signed in
        ("GET", f"/candidate/attempts/{world['finished']}", 302, None),  # a redirect to result
    ]
    for method, path, status, body in signed_in:
        headers = {} if (method, path) == ("POST", "/auth/logout") else {"X-CSRFToken": token}
        kwargs = {"json": {"choice": ["Q"], "seq": 1}} if body is None and method == "PUT" else {}
        if body is not None:
            kwargs = {"data": body, "content_type": "application/json"}
        response = client.open(path, method=method, headers=headers, **kwargs)
        where = f"{method} {path}"
        assert response.status_code == status, (where, response.status_code)
        check_headers(response, where)
        check_no_store(response, where)


def test_a_500_carries_the_headers_and_no_store(app):
    def boom():
        raise RuntimeError("secret internals")

    def api_boom():
        abort(500)

    app.add_url_rule("/boom-for-test", "boom_for_test", boom)
    app.add_url_rule("/api/boom-for-test", "api_boom_for_test", api_boom)
    client = app.test_client()
    for path in ("/boom-for-test", "/api/boom-for-test"):
        response = client.get(path)
        assert response.status_code == 500
        check_headers(response, path)
        check_no_store(response, path)
        assert "secret internals" not in response.get_data(as_text=True)  # no exception text
    assert client.get("/api/boom-for-test").get_json()["error"] == "server_error"


def test_the_login_redirects_carry_the_headers(app, world):
    client = app.test_client()
    user = world["users"][Role.ADMIN]
    token = csrf_token(client)
    response = client.post(
        "/auth/login",
        data={"username": user.username, "password": "wrong-password", "csrf_token": token},
    )
    check_headers(response, "failed login")
    check_no_store(response, "failed login")
    response = Auth(client).login(user.username)
    assert response.status_code == 302
    check_headers(response, "login redirect")
    check_no_store(response, "login redirect")


def test_an_expired_attempt_reply_is_not_cached_either(app, db_session, world):
    row = db_session.get(Attempt, world["values"]["attempt_id"])
    row.deadline = utcnow() - timedelta(minutes=5)
    db_session.commit()
    client = app.test_client()
    sign_in(client, world["users"][Role.CANDIDATE])
    for path in (
        f"/api/attempts/{row.id}",
        f"/api/attempts/{row.id}/result",
        f"/candidate/attempts/{row.id}/result",
    ):
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        check_headers(response, path)
        check_no_store(response, path)


def test_static_files_keep_the_headers_but_may_be_cached(client):
    response = client.get("/static/js/exam.js")
    assert response.status_code == 200
    check_headers(response, "static")
    assert "no-store" not in response.headers.get("Cache-Control", "")
    response.close()
