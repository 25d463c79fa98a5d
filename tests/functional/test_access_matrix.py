"""Every route, walked by every role and by an anonymous visitor.

The table below is the access policy. A new route must be added here, or
`test_every_route_is_in_the_matrix` fails: no page escapes the walk.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.domain.bank import load_bank
from app.domain.people import Role
from app.services import bank_io, blueprints, exams
from app.timeutil import utcnow
from tests.conftest import Auth, csrf_token
from tests.factories import CadreFactory, UnitFactory, make_user

C, E, H, A = Role.CANDIDATE, Role.EXAMINER, Role.HR, Role.ADMIN
EVERYONE = (C, E, H, A)
PUBLIC = "public"

# (method, path template, roles allowed; PUBLIC = no sign-in needed)
MATRIX: list[tuple[str, str, object]] = [
    ("GET", "/", EVERYONE),
    ("GET", "/healthz", PUBLIC),
    ("GET", "/readyz", PUBLIC),
    ("POST", "/language", PUBLIC),
    ("GET", "/auth/login", PUBLIC),
    ("POST", "/auth/login", PUBLIC),
    ("POST", "/auth/logout", EVERYONE),
    ("GET", "/auth/password", EVERYONE),
    ("POST", "/auth/password", EVERYONE),
    ("GET", "/candidate/", (C,)),
    ("GET", "/examiner/", (E,)),
    ("GET", "/examiner/questions", (E,)),
    ("GET", "/examiner/questions/new", (E,)),
    ("POST", "/examiner/questions/new", (E,)),
    ("GET", "/examiner/questions/{question_id}", (E,)),
    ("GET", "/examiner/questions/{question_id}/diff", (E,)),
    ("GET", "/examiner/questions/{question_id}/edit", (E,)),
    ("POST", "/examiner/questions/{question_id}/edit", (E,)),
    ("POST", "/examiner/questions/{question_id}/approve", (E,)),
    ("POST", "/examiner/questions/{question_id}/retire", (E,)),
    ("POST", "/examiner/questions/{question_id}/reapprove", (E,)),
    ("GET", "/examiner/review", (E,)),
    ("GET", "/examiner/laws", (E,)),
    ("POST", "/examiner/laws", (E,)),
    ("GET", "/examiner/bank/upload", (E,)),
    ("POST", "/examiner/bank/upload", (E,)),
    ("POST", "/examiner/bank/upload/confirm", (E,)),
    ("GET", "/examiner/bank/export.zip", (E,)),
    ("GET", "/examiner/bank/export.xlsx", (E,)),
    ("GET", "/examiner/blueprints", (E,)),
    ("GET", "/examiner/blueprints/new", (E,)),
    ("POST", "/examiner/blueprints/new", (E,)),
    ("POST", "/examiner/blueprints/check", (E,)),
    ("GET", "/examiner/blueprints/{blueprint_id}", (E,)),
    ("GET", "/examiner/blueprints/{blueprint_id}/edit", (E,)),
    ("POST", "/examiner/blueprints/{blueprint_id}/edit", (E,)),
    ("GET", "/examiner/exams", (E,)),
    ("GET", "/examiner/exams/new", (E,)),
    ("POST", "/examiner/exams/new", (E,)),
    ("GET", "/examiner/exams/{exam_id}", (E,)),
    ("GET", "/examiner/exams/{exam_id}/monitor.json", (E,)),
    ("POST", "/examiner/exams/{exam_id}/extension", (E,)),
    ("GET", "/examiner/exams/{exam_id}/regrade", (E,)),
    ("POST", "/examiner/exams/{exam_id}/regrade", (E,)),
    ("GET", "/hr/", (H,)),
    ("GET", "/hr/roster/import", (H, A)),
    ("POST", "/hr/roster/import", (H, A)),
    ("POST", "/hr/roster/import/confirm", (H, A)),
    ("POST", "/hr/roster/import/credentials", (H, A)),
    ("GET", "/examiner/analysis", (E,)),
    ("GET", "/examiner/analysis/exams/{exam_id}", (E,)),
    ("GET", "/examiner/analysis/exams/{exam_id}/export.xlsx", (E,)),
    ("POST", "/examiner/analysis/questions/{question_id}/review", (E,)),
    ("GET", "/hr/cadres", (H, A)),
    ("GET", "/hr/cadres/export.{fmt}", (H, A)),
    ("GET", "/hr/cadres/{cadre_id}", (H, A)),
    ("GET", "/hr/cases", (H, A)),
    ("GET", "/hr/cases/export.{fmt}", (H, A)),
    ("GET", "/hr/cases/new", (H, A)),
    ("POST", "/hr/cases/new", (H, A)),
    ("GET", "/hr/cases/{case_id}", (H, A)),
    ("POST", "/hr/cases/{case_id}/make-up", (H, A)),
    ("POST", "/hr/cases/{case_id}/cancel", (H, A)),
    ("GET", "/hr/cases/{case_id}/report", (H, A)),
    ("GET", "/hr/verify", (H, A)),
    ("GET", "/hr/reports", (H, A)),
    ("GET", "/hr/reports/exams/{exam_id}", (H, A)),
    ("GET", "/hr/reports/exams/{exam_id}/export.xlsx", (H, A)),
    ("GET", "/hr/reports/exams/{exam_id}/absentees.csv", (H, A)),
    ("GET", "/hr/reports/exams/{exam_id}/exemptions", (H, A)),
    ("POST", "/hr/reports/exams/{exam_id}/exemptions", (H, A)),
    ("POST", "/hr/reports/exams/{exam_id}/exemptions/{cadre_id}/lift", (H, A)),
    ("GET", "/hr/reports/years/{year}", (H, A)),
    ("GET", "/hr/reports/years/{year}/export.csv", (H, A)),
    ("GET", "/hr/reports/years/{year}/absentees.xlsx", (H, A)),
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
def test_route_allows_exactly_its_roles(client, db_session, case, visitor):
    method, template, allowed = case
    target = make_user(Role.EXAMINER)  # an object for the id routes; never the visitor
    question_id = _a_question(db_session) if "{question_id}" in template else ""
    exam_id = _an_exam(db_session) if "{exam_id}" in template else 0
    blueprint_id = _a_blueprint(db_session) if "{blueprint_id}" in template else ""
    path = template.format(
        user_id=target.id,
        unit_id=UnitFactory().id,
        question_id=question_id,
        exam_id=exam_id,
        blueprint_id=blueprint_id,
        **_hr_objects(db_session, template, exam_id),
    )
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


# Candidate pages about the candidate's own exam or attempt (another's id is 404).
OWNED_MATRIX: list[tuple[str, str]] = [
    ("GET", "/candidate/exams/{exam_id}"),
    ("POST", "/candidate/exams/{exam_id}"),
    ("GET", "/candidate/attempts/{attempt_id}"),
    ("GET", "/candidate/attempts/{attempt_id}/result"),
]


@pytest.mark.parametrize(
    ("method", "template", "visitor"),
    [(method, template, visitor) for method, template in OWNED_MATRIX for visitor in VISITORS],
    ids=[f"{m} {t} as {v.value if v else 'anonymous'}" for m, t in OWNED_MATRIX for v in VISITORS],
)
def test_candidate_pages_are_for_their_owner_only(client, db_session, method, template, visitor):
    from tests.exam_setup import load_starter_bank, open_exam

    load_starter_bank(db_session)
    owner = make_user(Role.CANDIDATE)
    exam = open_exam(db_session, staff_nos=(owner.cadre.staff_no,))
    attempt, _ = exams.start_attempt(db_session, exam, owner.cadre)
    path = template.format(exam_id=exam.id, attempt_id=attempt.id)
    visiting = owner if visitor is Role.CANDIDATE else (make_user(visitor) if visitor else None)
    if visiting is not None:
        assert Auth(client).login(visiting.username).status_code == 302
    if method == "GET":
        response = client.get(path)
    else:
        token_page = "/auth/password" if visitor else "/auth/login"
        response = client.post(path, data={"csrf_token": csrf_token(client, token_page)})
    if visitor is None:
        assert response.headers["Location"].startswith("/auth/login")
    elif visitor is Role.CANDIDATE:
        assert response.status_code in (200, 302), response.status_code
        stranger = make_user(Role.CANDIDATE)
        Auth(client).logout()
        Auth(client).login(stranger.username)
        assert (
            client.open(
                path, method=method, data={"csrf_token": csrf_token(client, "/auth/password")}
            ).status_code
            == 404
        )
    else:
        assert response.status_code == 403


# The JSON API answers in JSON: 401 when signed out, 403 for anyone but a candidate.
API_MATRIX: list[tuple[str, str]] = [
    ("GET", "/api/exams"),
    ("POST", "/api/exams/{exam_id}/attempts"),
    ("GET", "/api/attempts/{attempt_id}"),
    ("PUT", "/api/attempts/{attempt_id}/answers/1"),
    ("POST", "/api/attempts/{attempt_id}/submit"),
    ("GET", "/api/attempts/{attempt_id}/result"),
]


@pytest.mark.parametrize(
    ("method", "template", "visitor"),
    [(method, template, visitor) for method, template in API_MATRIX for visitor in VISITORS],
    ids=[f"{m} {t} as {v.value if v else 'anonymous'}" for m, t in API_MATRIX for v in VISITORS],
)
def test_api_route_is_for_candidates_only(client, method, template, visitor):
    path = template.format(exam_id=999, attempt_id=999)
    if visitor is not None:
        assert Auth(client).login(make_user(visitor).username).status_code == 302
    headers = {"X-CSRFToken": csrf_token(client, "/auth/password" if visitor else "/auth/login")}
    response = client.open(path, method=method, headers=headers, json={"choice": [], "seq": 1})
    assert response.is_json
    if visitor is None:
        assert (response.status_code, response.get_json()["error"]) == (401, "unauthorized")
    elif visitor is Role.CANDIDATE and template == "/api/exams":
        assert (response.status_code, response.get_json()) == (200, [])
    elif visitor is Role.CANDIDATE:
        # Nothing numbered 999 is theirs: not found, never a hint that it exists.
        assert (response.status_code, response.get_json()["error"]) == (404, "not_found")
    else:
        assert (response.status_code, response.get_json()["error"]) == (403, "forbidden")


def _a_question(session) -> str:
    """A question for the routes that name one."""
    laws = "laws:\n  - {id: fa, title: 法, version: '1', effective: 2020-01-01}\n"
    topic = (
        "topic: 测试\nquestions:\n  - {id: matrix-0001, type: judge, stem: 题干, answer: true, "
        "law: fa, article: 第一条}\n"
    )
    bank_io.import_bank(session, None, load_bank([("laws.yaml", laws), ("t.yaml", topic)]))
    return "matrix-0001"


def _a_blueprint(session) -> str:
    """A blueprint of one true-or-false question, for the routes that name one."""
    _a_question(session)
    blueprints.save_blueprint(
        session,
        None,
        {
            "id": "matrix",
            "title": "矩阵",
            "kind": "practice",
            "time_limit_minutes": 10,
            "pass_score": 1,
            "sections": [{"title": "判断题", "type": "judge", "count": 1, "points": 1}],
        },
    )
    return "matrix"


def _an_exam(session) -> int:
    """An open exam from that blueprint, for the routes that name one."""
    blueprint_id = _a_blueprint(session)
    now = utcnow()
    exam = exams.open_exam(
        session,
        None,
        exams.ExamRequest(
            blueprint_id=blueprint_id,
            title="矩阵考试",
            kind="practice",
            opens_at=now - timedelta(minutes=5),
            closes_at=now + timedelta(hours=1),
            rule=exams.EligibilityRule(staff_nos=(CadreFactory().staff_no,)),
        ),
    )
    return exam.id


def _hr_objects(session, template: str, exam_id: int) -> dict[str, int]:
    """A cadre (the exam's candidate when there is an exam), a case for it, a year, a format."""
    if not any(name in template for name in ("{cadre_id}", "{case_id}", "{year}", "{fmt}")):
        return {}
    from app.models import Appointment, ExamCandidate

    cadre_id = (
        session.scalar(select(ExamCandidate.cadre_id).where(ExamCandidate.exam_id == exam_id))
        if exam_id
        else CadreFactory().id
    )
    case = Appointment(
        cadre_id=cadre_id,
        proposed_post="局长",
        appointing_body="市委",
        exam_id=exam_id or None,
        verification_code="MATRIXMATRIXMATR",
    )
    session.add(case)
    session.commit()
    return {"cadre_id": cadre_id, "case_id": case.id, "year": utcnow().year, "fmt": "xlsx"}


def test_every_route_is_in_the_matrix(app):
    covered = {(method, template.split("{")[0]) for method, template, _ in MATRIX}
    covered |= {(method, template.split("{")[0]) for method, template in API_MATRIX}
    covered |= {(method, template.split("{")[0]) for method, template in OWNED_MATRIX}
    covered.add(("GET", "/api/openapi.json"))
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
