"""Markup and template syntax in every text that examiners, HR and admins enter.

The payloads go in through the roads people use: a bank upload (law title and version,
topic, stem, options, article, explanation, tags), the question form, blueprint and exam
titles, the unit form (unit names may not hold "/"), display names and usernames, a
roster import (cadre names, units, positions, ranks), a case (post, appointing body,
note) and an exemption reason. Then every GET route is rendered by every role, with ids
filled in and with the payloads in the query string as well: no page holds a payload
unescaped, `{{7*7}}` never became 49, and every response's CSP forbids inline script.
"""

from __future__ import annotations

import html
import io
import json
import re
import zipfile
from pathlib import Path
from urllib.parse import urlencode

import pytest
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from app.domain.people import Role
from app.models import Appointment, Cadre, Law, Question, Unit, User
from app.services import blueprints
from tests.conftest import csrf_token
from tests.exam_setup import open_exam
from tests.factories import DEFAULT_PASSWORD, make_user
from tests.functional.test_attacks import sign_in
from tests.functional.test_headers_and_caching import check_headers, paths_for
from tests.roster_files import csv_bytes

SCRIPT = "<script>alert(1)</script>"
ATTRIBUTE = '"><img src=x onerror=alert(1)>'
TEMPLATE = "[{{7*7}}]"
FULL = SCRIPT + ATTRIBUTE + TEMPLATE  # 64 characters
NO_SLASH = ATTRIBUTE + TEMPLATE  # for unit names, which "/" would split

# What a page would hold had a payload gone through unescaped or been evaluated.
RAW = ("<script>alert", "<img src=x onerror", "[49]")
ESCAPED_SCRIPT = "&lt;script&gt;alert(1)&lt;/script&gt;"
ESCAPED_IMG = "&lt;img src=x onerror=alert(1)&gt;"
STATIC_JS = Path(__file__).resolve().parents[2] / "app" / "static" / "js"
TOKEN_FIELD = re.compile(r'name="token" type="hidden" value="([^"]+)"')
HIDDEN_FIELD = re.compile(r'<input id="(\w+)" name="(\w+)" type="hidden" value="([^"]*)"')


def q(text: str) -> str:
    """A YAML double-quoted scalar (JSON strings are YAML)."""
    return json.dumps(text, ensure_ascii=False)


LAWS = f"""\
laws:
  - id: xss-fa
    title: {q("法" + FULL)}
    version: {q("版" + NO_SLASH)}
    effective: 2020-01-01
"""
TOPIC = f"""\
topic: {q("题" + FULL)}
questions:
  - id: xss-0001
    type: single
    difficulty: 2
    stem: {q("单选" + FULL)}
    options: {{A: {q("甲" + FULL)}, B: {q("乙" + FULL)}, C: {q("丙" + FULL)}}}
    answer: A
    law: xss-fa
    article: {q("第一条" + FULL)}
    explanation: {q("解析" + FULL)}
    tags: [{q("标签" + FULL)}]
  - id: xss-0002
    type: multiple
    difficulty: 3
    stem: {q("多选" + FULL)}
    options: {{A: {q("子" + FULL)}, B: {q("丑" + FULL)}, C: {q("寅" + FULL)}}}
    answer: [A, B]
    law: xss-fa
    article: {q("第二条" + FULL)}
    explanation: {q("解析二" + FULL)}
    tags: [{q("标签二" + FULL)}]
  - id: xss-0003
    type: judge
    difficulty: 1
    stem: {q("判断" + FULL)}
    answer: true
    law: xss-fa
    article: {q("第三条" + FULL)}
    explanation: {q("解析三" + FULL)}
"""


def post(client, path: str, data: dict, **kwargs):
    token = csrf_token(client, "/auth/password")
    return client.post(path, data={"csrf_token": token, **data}, **kwargs)


def upload_bank(client) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("laws.yaml", LAWS)
        archive.writestr("xss.yaml", TOPIC)
    preview = post(
        client,
        "/examiner/bank/upload",
        {"file": (io.BytesIO(buffer.getvalue()), "xss.zip")},
        content_type="multipart/form-data",
    )
    page = preview.get_data(as_text=True)
    assert preview.status_code == 200
    for raw in RAW:
        assert raw not in page, raw
    fields = {name: value for _, name, value in HIDDEN_FIELD.findall(page) if name != "csrf_token"}
    assert fields.get("token"), page[:2000]
    done = post(client, "/examiner/bank/upload/confirm", fields)
    assert done.status_code == 200, done.status_code


def import_roster(client) -> None:
    rows = [
        [
            "9001",
            "名" + FULL,
            "市" + NO_SLASH + "/局" + NO_SLASH,
            "职" + FULL,
            "级" + NO_SLASH,
            "公务员",
        ],
        ["9002", "免" + FULL, "市" + NO_SLASH, "职" + FULL, "级" + NO_SLASH, "公务员"],
        ["9003", "任" + FULL, "市" + NO_SLASH, "职" + FULL, "级" + NO_SLASH, "领导干部"],
    ]
    token = csrf_token(client, "/hr/roster/import")
    preview = client.post(
        "/hr/roster/import",
        data={"csrf_token": token, "file": (io.BytesIO(csv_bytes(rows)), "名册.csv")},
        content_type="multipart/form-data",
    )
    page = preview.get_data(as_text=True)
    for raw in RAW:
        assert raw not in page, raw
    match = TOKEN_FIELD.search(page)
    assert match, page[:2000]
    done = client.post(
        "/hr/roster/import/confirm",
        data={"csrf_token": csrf_token(client, "/hr/roster/import"), "token": match.group(1)},
    )
    assert done.status_code == 200


@pytest.fixture
def world(app, db_session):
    """Payloads everywhere, entered by the people who may enter them."""
    examiner = make_user(Role.EXAMINER, display_name="考官" + FULL)
    hr = make_user(Role.HR, display_name="人事" + FULL)
    admin = make_user(Role.ADMIN, display_name="管理" + FULL)

    examiner_client = app.test_client()
    sign_in(examiner_client, examiner)
    upload_bank(examiner_client)
    created = post(
        examiner_client,
        "/examiner/questions/new",
        {
            "question_id": "xss-0100",
            "qtype": "single",
            "topic": "题" + FULL,
            "difficulty": "3",
            "status": "approved",
            "stem": "表单" + FULL,
            "option_a": "一" + FULL,
            "option_b": "二" + FULL,
            "answer_keys": ["B"],
            "law": "xss-fa",
            "article": "第九条" + FULL,
            "explanation": "表单解析" + FULL,
            "tags": "表单标签" + FULL.replace(" ", ""),
        },
    )
    assert created.status_code in (200, 302), created.status_code
    assert db_session.get(Question, "xss-0100") is not None, created.get_data(as_text=True)[:3000]
    edited = post(
        examiner_client,
        "/examiner/questions/xss-0001/edit",
        {
            "qtype": "single",
            "topic": "题" + FULL,
            "difficulty": "2",
            "status": "approved",
            "stem": "改后" + FULL,
            "option_a": "甲" + FULL,
            "option_b": "乙改" + FULL,
            "option_c": "丙" + FULL,
            "answer_keys": ["A"],
            "law": "xss-fa",
            "article": "第一条" + FULL,
            "explanation": "改后解析" + FULL,
            "tags": "标签" + FULL.replace(" ", ""),
        },
    )
    assert edited.status_code == 302, edited.get_data(as_text=True)[:3000]
    sections = [
        {"title": "单选" + FULL, "type": "single", "count": 1, "points": 2},
        {"title": "多选" + FULL, "type": "multiple", "count": 1, "points": 2},
        {"title": "判断" + FULL, "type": "judge", "count": 1, "points": 1},
    ]
    for blueprint_id, kind in (("xss-practice", "practice"), ("xss-pre", "pre_appointment")):
        blueprints.save_blueprint(
            db_session,
            examiner.id,
            {
                "id": blueprint_id,
                "title": "组卷" + FULL,
                "kind": kind,
                "time_limit_minutes": 30,
                "pass_score": 3,
                "sections": sections,
            },
        )

    hr_client = app.test_client()
    sign_in(hr_client, hr)
    import_roster(hr_client)
    cadres = {c.staff_no: c for c in db_session.scalars(select(Cadre))}
    candidate_user = db_session.scalar(select(User).where(User.username == "9001"))
    candidate_user.password_hash = generate_password_hash(DEFAULT_PASSWORD, "pbkdf2:sha256:1000")
    candidate_user.must_change_password = False
    db_session.commit()

    staff = ("9001", "9002")
    done_exam = open_exam(
        db_session, blueprint="xss-practice", staff_nos=staff, title="已交" + FULL
    )
    live_exam = open_exam(
        db_session, blueprint="xss-practice", staff_nos=staff, title="进行" + FULL
    )
    exempted = post(
        hr_client,
        f"/hr/reports/exams/{live_exam.id}/exemptions",
        {"staff_no": "9002", "reason": "病假" + FULL},
    )
    assert exempted.status_code in (200, 302)
    case = post(
        hr_client,
        "/hr/cases/new",
        {
            "staff_no": "9003",
            "proposed_post": "拟任" + FULL,
            "appointing_body": "机关" + FULL,
            "blueprint_id": "xss-pre",
            "note": "备注" + FULL,
        },
    )
    assert case.status_code in (200, 302), case.status_code
    appointment = db_session.scalar(select(Appointment))
    assert appointment is not None, case.get_data(as_text=True)[:3000]
    # A refused case: the staff number typed comes back in the form and the message.
    refused = post(
        hr_client,
        "/hr/cases/new",
        {
            "staff_no": NO_SLASH,
            "proposed_post": "x",
            "appointing_body": "y",
            "blueprint_id": "xss-pre",
        },
    )
    assert_clean(refused, "refused case")

    admin_client = app.test_client()
    sign_in(admin_client, admin)
    unit = post(admin_client, "/admin/units", {"name": "处" + NO_SLASH, "parent_id": "0"})
    assert unit.status_code == 302
    account = post(
        admin_client,
        "/admin/users/new",
        {
            "username": FULL,
            "display_name": "账号" + FULL,
            "roles": ["hr"],
            "password": "a-long-password-1",
        },
        follow_redirects=True,
    )
    assert_clean(account, "user created")

    candidate_client = app.test_client()
    token = sign_in(candidate_client, candidate_user)
    headers = {"X-CSRFToken": token}
    finished = candidate_client.post(f"/api/exams/{done_exam.id}/attempts", headers=headers)
    assert finished.status_code == 201, finished.get_json()
    finished_id = finished.get_json()["id"]
    candidate_client.put(
        f"/api/attempts/{finished_id}/answers/1", json={"choice": ["A"], "seq": 1}, headers=headers
    )
    assert (
        candidate_client.post(f"/api/attempts/{finished_id}/submit", headers=headers).status_code
        == 200
    )
    live = candidate_client.post(f"/api/exams/{live_exam.id}/attempts", headers=headers)
    assert live.status_code == 201

    db_session.expire_all()
    law = db_session.get(Law, "xss-fa")
    assert law is not None and FULL in law.title
    return {
        "clients": {
            Role.EXAMINER: examiner_client,
            Role.HR: hr_client,
            Role.ADMIN: admin_client,
            Role.CANDIDATE: candidate_client,
        },
        "values": {
            "exam_id": done_exam.id,
            "attempt_id": live.get_json()["id"],
            "cadre_id": cadres["9001"].id,
            "case_id": appointment.id,
            "question_id": "xss-0001",
            "blueprint_id": "xss-practice",
            "user_id": candidate_user.id,
            "unit_id": db_session.scalar(select(Unit.id).where(Unit.name == "局" + NO_SLASH)),
            "year": done_exam.opens_at.year,
            "position": 1,
        },
        "finished": finished_id,
        "live_exam": live_exam.id,
        "candidate": candidate_user,
        "exam_titles": ("已交" + FULL, "进行" + FULL),
    }


def assert_clean(response, where: str) -> str:
    """The response holds no payload unescaped and no evaluated template."""
    check_headers(response, where)
    if response.mimetype not in ("text/html", "text/plain", "application/json"):
        return ""  # a download (CSV, XLSX), sent as an attachment
    text = response.get_data(as_text=True)
    if response.is_json:
        assert "[49]" not in text, where
        return text
    for raw in RAW:
        assert raw not in text, (where, raw)
    # A payload cut short must not have been closed into a tag by the page either.
    assert not re.search(r"<img\b[^>]*\bonerror", text, re.IGNORECASE), where
    return text


def crawl(app, client, values, extra: tuple[str, ...] = ()) -> dict[str, str]:
    """Every GET route with `values`, and again with payloads in the query string."""
    pages = {}
    query = "?" + urlencode(
        {"q": FULL, "next": FULL, "code": FULL, "tag": FULL, "topic": FULL, "staff_no": FULL}
    )
    for path in [*paths_for(app, values), *extra]:
        for url in (path, path + query):
            response = client.get(url)
            assert response.status_code < 500, (url, response.status_code)
            pages[url] = assert_clean(response, f"GET {url}")
    return pages


def escaped_on(pages: dict[str, str], path: str) -> bool:
    text = pages.get(path, "")
    return ESCAPED_SCRIPT in text or ESCAPED_IMG in text.replace("&#34;", '"')


@pytest.mark.parametrize("role", [Role.EXAMINER, Role.HR, Role.ADMIN, Role.CANDIDATE])
def test_every_page_shows_the_payloads_escaped(app, world, role):
    values = world["values"]
    extra = {
        Role.EXAMINER: ("/examiner/questions/xss-0100", "/examiner/questions/xss-0100/diff"),
        Role.CANDIDATE: (
            f"/candidate/attempts/{world['finished']}/result",
            f"/candidate/exams/{world['live_exam']}",
        ),
    }.get(role, ())
    pages = crawl(app, world["clients"][role], values, extra)
    assert len(pages) > 100
    shown = [path for path in pages if escaped_on(pages, path)]
    # The payloads were really rendered, escaped, on the pages that show them.
    expected = {
        Role.EXAMINER: [
            "/examiner/questions",
            "/examiner/questions/xss-0001",
            "/examiner/questions/xss-0001/diff",
            "/examiner/questions/xss-0100",
            "/examiner/review",
            "/examiner/laws",
            "/examiner/blueprints",
            "/examiner/blueprints/xss-practice",
            "/examiner/exams",
            f"/examiner/exams/{values['exam_id']}",
        ],
        Role.HR: [
            "/hr/cadres",
            f"/hr/cadres/{values['cadre_id']}",
            "/hr/cases",
            f"/hr/cases/{values['case_id']}",
            f"/hr/reports/exams/{values['exam_id']}",
        ],
        Role.ADMIN: [
            "/admin/users",
            f"/admin/users/{values['user_id']}",
            "/admin/units",
            "/admin/audit",
        ],
        Role.CANDIDATE: [
            "/candidate/",
            f"/candidate/attempts/{values['attempt_id']}",
            f"/candidate/exams/{world['live_exam']}",
        ],
    }[role]
    missing = [path for path in expected if not escaped_on(pages, path)]
    assert not missing, missing
    assert len(shown) >= len(expected)
    for path in expected:
        assert TEMPLATE in html.unescape(pages[path]), path  # shown as typed, not evaluated


def test_the_review_shows_every_question_text_escaped(app, world):
    client = world["clients"][Role.CANDIDATE]
    page = assert_clean(client.get(f"/candidate/attempts/{world['finished']}/result"), "result")
    text = html.unescape(page)
    # Stems, options, explanations, articles and the law, whichever single question was drawn.
    for labels in (
        ("单选", "表单"),
        ("多选",),
        ("判断",),
        ("子",),
        ("甲", "一"),
        ("解析", "表单解析"),
        ("第一条", "第九条"),
        ("第二条",),
        ("法",),
    ):
        assert any(label + FULL in text for label in labels), labels
    assert page.count(ESCAPED_SCRIPT) >= 10
    result = client.get(f"/api/attempts/{world['finished']}/result")
    assert result.is_json and result.headers["X-Content-Type-Options"] == "nosniff"
    review = result.get_json()["review"]
    assert all(FULL in item["stem"] for item in review)  # JSON carries the text as typed


def test_the_exam_api_carries_text_as_data_not_markup(world):
    client = world["clients"][Role.CANDIDATE]
    response = client.get(f"/api/attempts/{world['values']['attempt_id']}")
    assert response.mimetype == "application/json"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    body = response.get_json()
    assert body["exam"]["title"] == "进行" + FULL
    items = [item for section in body["sections"] for item in section["items"]]
    assert items and all(FULL in item["stem"] for item in items)


def test_the_exam_strings_block_cannot_close_its_script_tag(world):
    """The sitting page hands its words to the script in a JSON <script> block: tojson
    escapes "<", so no text can end the block early."""
    client = world["clients"][Role.CANDIDATE]
    page = client.get(f"/candidate/attempts/{world['values']['attempt_id']}").get_data(as_text=True)
    for block in re.findall(r'<script type="application/json"[^>]*>(.*?)</script>', page, re.S):
        assert "<" not in block
        json.loads(block)


def test_the_page_scripts_never_build_markup_from_text():
    """The exam page is filled by script from the API: it must set text, never HTML."""
    sinks = re.compile(
        r"\.innerHTML\s*=|\.outerHTML\s*=|insertAdjacentHTML|document\.write|\beval\(|"
        r"new Function\(|setTimeout\(\s*['\"`]|setInterval\(\s*['\"`]"
    )
    scripts = sorted(STATIC_JS.glob("*.js"))
    assert any(path.name == "exam.js" for path in scripts)
    for path in scripts:
        source = path.read_text(encoding="utf-8")
        assert not sinks.search(source), path.name


def test_every_response_forbids_inline_script(app, world):
    """check_headers, run on every crawled response above, holds for the sign-in page too."""
    client = app.test_client()
    for path in ("/auth/login", "/auth/login?next=" + FULL, "/healthz"):
        assert_clean(client.get(path), path)
    # A "next" that is not a path on this site is never followed after signing in.
    user = make_user(Role.HR)
    for target in ("javascript:alert(1)", "//evil.example/", "https://evil.example/", "/\\evil"):
        signed_out = app.test_client()
        response = signed_out.post(
            "/auth/login?" + urlencode({"next": target}),
            data={
                "username": user.username,
                "password": DEFAULT_PASSWORD,
                "csrf_token": csrf_token(signed_out),
                "next": target,
            },
        )
        assert response.status_code == 302, target
        location = response.headers["Location"]
        assert location.startswith("/") and not location.startswith("//"), (target, location)
        assert "evil" not in location and "javascript" not in location, (target, location)


def test_a_candidate_with_markup_in_its_name_signs_in_safely(app, world):
    client = app.test_client()
    response = client.post(
        "/auth/login",
        data={
            "username": world["candidate"].username,
            "password": DEFAULT_PASSWORD,
            "csrf_token": csrf_token(client),
        },
        follow_redirects=True,
    )
    page = assert_clean(response, "landing")
    assert ESCAPED_SCRIPT in page  # the name in the navigation bar
