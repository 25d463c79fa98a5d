"""Examiner exam pages: opening each kind of exam, eligibility, the monitor, extra time,
make-ups and regrading after a key correction."""

from __future__ import annotations

import html as html_lib
import io
import re
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from flask_babel import gettext
from openpyxl import Workbook
from sqlalchemy import func, select

from app.domain.attempts import paper_from_json
from app.domain.grading import to_displayed
from app.messages import describe, describe_shortfall, message_for
from app.models import Attempt, AuditEvent, Exam, ExamCandidate, Question, QuestionVersion
from app.services import blueprints, delivery, exams, questions
from app.services.errors import InvalidInput
from app.timeutil import utcnow
from tests.exam_setup import load_starter_bank, open_exam
from tests.factories import CadreFactory, UnitFactory
from tests.functional.test_examiner_support import post, sign_in_examiner

GRACE = 10
EXAM_PAGE = re.compile(r"^/examiner/exams/(\d+)$")


@pytest.fixture
def examiner(client, db_session):
    load_starter_bank(db_session)
    return sign_in_examiner(client)


def text_of(response) -> str:
    return html_lib.unescape(response.get_data(as_text=True))


def exam_form(**overrides: object) -> dict:
    """Form fields opening a practice exam on 1 March 2030, 09:00 to 11:00 Beijing time."""
    data: dict = {
        "blueprint": "practice",
        "title": "网页开考",
        "kind": "practice",
        "opens_at": "2030-03-01T09:00",
        "closes_at": "2030-03-01T11:00",
        "attempts_allowed": "1",
        "review_policy": "after_submit",
        "open": "1",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def opened(session, response) -> Exam:
    """The exam a successful opening redirected to."""
    assert response.status_code == 302, response.status_code
    match = EXAM_PAGE.match(response.headers["Location"])
    assert match, response.headers["Location"]
    session.expire_all()
    return session.get(Exam, int(match.group(1)))


def eligible_staff(session, exam: Exam) -> set[str]:
    rows = session.scalars(select(ExamCandidate).where(ExamCandidate.exam_id == exam.id))
    return {row.cadre.staff_no for row in rows}


def count(session, model, *where) -> int:
    return session.scalar(select(func.count()).select_from(model).where(*where))


# ---- opening each kind --------------------------------------------------------------------


def test_open_a_pre_appointment_exam_for_listed_staff_numbers(client, db_session, examiner):
    for staff_no in ("S1", "S2", "S3"):
        CadreFactory(staff_no=staff_no)
    form = exam_form(
        blueprint="pre-appointment-standard",
        kind="pre_appointment",
        title="任前考试（张三、李四）",
        staff_nos="S1\nS2, S1",
        review_policy="after_close",
    )

    exam = opened(db_session, post(client, "/examiner/exams/new", form))

    assert (exam.kind, exam.title, exam.blueprint_id) == (
        "pre_appointment",
        "任前考试（张三、李四）",
        "pre-appointment-standard",
    )
    # Typed as Beijing time, stored as UTC.
    assert (exam.opens_at, exam.closes_at) == (datetime(2030, 3, 1, 1), datetime(2030, 3, 1, 3))
    assert exam.time_limit_minutes == 90  # the blueprint's, the field being empty
    assert (exam.attempts_allowed, exam.review_policy) == (1, "after_close")
    assert eligible_staff(db_session, exam) == {"S1", "S2"}
    event = db_session.scalar(select(AuditEvent).where(AuditEvent.action == "exam.open"))
    assert (event.actor_id, event.object_id, event.detail["eligible"]) == (
        examiner.id,
        str(exam.id),
        2,
    )


def test_open_an_annual_exam_for_a_unit_subtree(client, db_session, examiner):
    city = UnitFactory(name="大石桥市")
    bureau = UnitFactory(name="司法局", parent=city)
    office = UnitFactory(name="公证处", parent=bureau)
    town = UnitFactory(name="虎庄镇", parent=city)
    CadreFactory(unit=bureau, staff_no="B1")
    CadreFactory(unit=office, staff_no="O1")
    CadreFactory(unit=town, staff_no="T1")
    page = text_of(client.get("/examiner/exams/new"))
    assert f'<option value="{office.id}">　　公证处</option>' in page  # the tree, indented

    form = exam_form(blueprint="annual-standard", kind="annual", units=[str(bureau.id)])
    exam = opened(db_session, post(client, "/examiner/exams/new", form))

    assert exam.kind == "annual"
    assert eligible_staff(db_session, exam) == {"B1", "O1"}
    assert exam.eligibility_rule["unit_ids"] == [bureau.id]


def test_filters_are_combined_and_listed_staff_numbers_added(client, db_session, examiner):
    bureau = UnitFactory(name="司法局")
    CadreFactory(unit=bureau, staff_no="J1", category="judicial", rank="一级主任科员")
    CadreFactory(unit=bureau, staff_no="J2", category="judicial", rank="四级主任科员")
    CadreFactory(unit=bureau, staff_no="C1", category="civil_servant", rank="一级主任科员")
    CadreFactory(staff_no="X1")
    form = exam_form(
        units=[str(bureau.id)],
        categories=["judicial"],
        ranks="一级主任科员，二级主任科员",
        staff_nos="X1",
    )
    exam = opened(db_session, post(client, "/examiner/exams/new", form))
    assert eligible_staff(db_session, exam) == {"J1", "X1"}


def test_open_a_practice_exam_for_everyone(client, db_session, examiner):
    cadres = {CadreFactory().staff_no for _ in range(3)}
    form = exam_form(
        everyone="y", attempts_allowed="3", review_policy="never", time_limit_minutes="15"
    )

    exam = opened(db_session, post(client, "/examiner/exams/new", form))

    assert (exam.kind, exam.attempts_allowed, exam.review_policy) == ("practice", 3, "never")
    assert exam.time_limit_minutes == 15
    assert eligible_staff(db_session, exam) == cadres


@pytest.fixture
def sat_annual(db_session, examiner):
    """An annual exam that P passed, F failed, M missed and E was exempted from."""
    for staff_no in ("P", "F", "M", "E"):
        CadreFactory(staff_no=staff_no, name=f"干部{staff_no}")
    original = open_exam(
        db_session,
        blueprint="annual-standard",
        kind="annual",
        staff_nos=("P", "F", "M", "E"),
        title="2030年度考试",
    )
    for row in db_session.scalars(
        select(ExamCandidate).where(ExamCandidate.exam_id == original.id)
    ):
        staff_no = row.cadre.staff_no
        if staff_no in ("P", "F"):
            attempt, _ = exams.start_attempt(db_session, original, row.cadre)
            attempt.status, attempt.passed, attempt.score = (
                "submitted",
                staff_no == "P",
                Decimal(50),
            )
        if staff_no == "E":
            row.exempt_reason = "病假"
    db_session.commit()
    return original


def test_make_up_is_prefilled_from_the_original_and_counts_who_is_owed(client, sat_annual):
    page = text_of(client.get(f"/examiner/exams/new?kind=make_up&original={sat_annual.id}"))

    assert re.search(r'<option selected value="make_up">', page)
    assert re.search(rf'<option selected value="{sat_annual.id}">2030年度考试', page)
    assert re.search(r'<option selected value="make-up-standard">', page)
    assert "2030年度考试" in re.search(r'id="title"[^>]*>', page).group(0)
    counted = page.split('id="eligible-count"')[1].split("</div>")[0]
    assert re.search(r"\b2\b", counted)


def test_make_up_is_open_only_to_those_who_failed_or_missed(client, db_session, sat_annual):
    form = exam_form(
        blueprint="make-up-standard",
        kind="make_up",
        title="2030年度考试（补考）",
        original_exam=str(sat_annual.id),
    )

    exam = opened(db_session, post(client, "/examiner/exams/new", form))

    assert (exam.kind, exam.original_exam_id) == ("make_up", sat_annual.id)
    assert eligible_staff(db_session, exam) == {"F", "M"}
    page = text_of(client.get(f"/examiner/exams/{exam.id}"))
    assert f'href="/examiner/exams/{sat_annual.id}"' in page


def test_make_up_without_its_original_is_refused(app, client, db_session, examiner):
    CadreFactory(staff_no="S1")
    form = exam_form(blueprint="make-up-standard", kind="make_up", staff_nos="S1")
    page = text_of(post(client, "/examiner/exams/new", form))
    with app.test_request_context():
        assert message_for("make_up_needs_original") in page
    assert count(db_session, Exam) == 0


# ---- eligibility from a file --------------------------------------------------------------


def staff_file(kind: str, header: str, numbers: list[str]) -> tuple[io.BytesIO, str]:
    if kind == "csv":
        lines = [f"姓名,{header}"] + [f"某人,{n}" for n in numbers]
        return io.BytesIO("\n".join(lines).encode("utf-8")), "名单.csv"
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["姓名", header])
    for number in numbers:
        sheet.append(["某人", number])
    content = io.BytesIO()
    workbook.save(content)
    content.seek(0)
    return content, "名单.xlsx"


@pytest.mark.parametrize(("kind", "header"), [("csv", "工号"), ("xlsx", "staff_no")])
def test_eligibility_from_an_uploaded_staff_number_file(client, db_session, examiner, kind, header):
    for staff_no in ("F1", "F2", "F3"):
        CadreFactory(staff_no=staff_no)
    form = exam_form(staff_file=staff_file(kind, header, ["F1", "F3"]), staff_nos="F2")

    exam = opened(db_session, post(client, "/examiner/exams/new", form))

    assert eligible_staff(db_session, exam) == {"F1", "F2", "F3"}


def test_a_file_without_a_staff_number_column_is_refused(app, client, db_session, examiner):
    form = exam_form(staff_file=staff_file("csv", "编号", ["F1"]))
    page = text_of(post(client, "/examiner/exams/new", form))
    with app.test_request_context():
        assert message_for("missing_column", {"column": "工号 / staff_no"}) in page
    assert count(db_session, Exam) == 0


def test_numbers_read_from_a_file_stay_when_the_page_comes_back(app, client, db_session, examiner):
    form = exam_form(
        staff_file=staff_file("csv", "工号", ["F1", "F2"]), closes_at="2030-02-01T09:00"
    )
    page = text_of(post(client, "/examiner/exams/new", form))
    with app.test_request_context():
        assert message_for("exam_window_empty") in page
    textarea = re.search(r'<textarea[^>]*id="staff_nos"[^>]*>(.*?)</textarea>', page, re.S)
    assert textarea.group(1).split() == ["F1", "F2"]
    assert count(db_session, Exam) == 0


# ---- refusals -----------------------------------------------------------------------------


def test_an_infeasible_blueprint_is_refused_with_its_shortfall(app, client, db_session, examiner):
    CadreFactory(staff_no="S1")
    blueprints.save_blueprint(
        db_session,
        None,
        {
            "id": "too-many",
            "title": "题量过大",
            "kind": "annual",
            "time_limit_minutes": 60,
            "pass_score": 60,
            "sections": [{"title": "判断题", "type": "judge", "count": 500, "points": 1}],
        },
    )
    response = post(client, "/examiner/exams/new", exam_form(blueprint="too-many", staff_nos="S1"))

    assert response.status_code == 200
    page = text_of(response)
    shortfalls = blueprints.feasibility(
        db_session, blueprints.get_blueprint(db_session, "too-many")
    )
    with app.test_request_context():
        assert message_for("blueprint_infeasible") in page
        for shortfall in shortfalls:
            assert describe_shortfall(shortfall) in page
    assert count(db_session, Exam) == 0
    assert count(db_session, AuditEvent, AuditEvent.action == "exam.open") == 0


def test_unknown_staff_numbers_are_named_and_nothing_is_opened(app, client, db_session, examiner):
    CadreFactory(staff_no="S1")
    page = text_of(post(client, "/examiner/exams/new", exam_form(staff_nos="S1 NOPE1 NOPE2")))
    with app.test_request_context():
        error = InvalidInput("unknown_staff_numbers", staff_nos="NOPE1、NOPE2", count=2)
        assert describe(error) in page
    assert count(db_session, Exam) == 0


def test_nobody_chosen_is_refused(app, client, db_session, examiner):
    CadreFactory()
    page = text_of(post(client, "/examiner/exams/new", exam_form()))
    with app.test_request_context():
        assert message_for("no_eligible_cadres") in page
    assert count(db_session, Exam) == 0


def test_a_bad_date_is_refused_by_the_form(app, client, db_session, examiner):
    CadreFactory(staff_no="S1")
    page = text_of(post(client, "/examiner/exams/new", exam_form(opens_at="明天", staff_nos="S1")))
    with app.test_request_context():
        assert gettext("Enter a date and time.") in page
    assert count(db_session, Exam) == 0


def test_counting_who_may_sit_opens_nothing(client, db_session, examiner):
    bureau = UnitFactory()
    for _ in range(4):
        CadreFactory(unit=bureau)
    form = exam_form(units=[str(bureau.id)], open=None, preview="1")

    page = text_of(post(client, "/examiner/exams/new", form))

    counted = page.split('id="eligible-count"')[1].split("</div>")[0]
    assert re.search(r"\b4\b", counted)
    assert count(db_session, Exam) == 0


# ---- extra time ---------------------------------------------------------------------------


def test_extensions_given_when_opening_are_kept_and_audited(client, db_session, examiner):
    CadreFactory(staff_no="S1")
    CadreFactory(staff_no="S2")
    form = exam_form(staff_nos="S1 S2", extensions="S1 15\n\nS2：5")

    exam = opened(db_session, post(client, "/examiner/exams/new", form))

    minutes = {
        row.cadre.staff_no: row.extra_minutes
        for row in db_session.scalars(select(ExamCandidate).where(ExamCandidate.exam_id == exam.id))
    }
    assert minutes == {"S1": 15, "S2": 5}
    events = db_session.scalars(select(AuditEvent).where(AuditEvent.action == "exam.extension"))
    assert {(e.actor_id, e.detail["staff_no"], e.detail["minutes"]) for e in events} == {
        (examiner.id, "S1", 15),
        (examiner.id, "S2", 5),
    }


def test_an_extension_line_written_otherwise_is_refused(app, client, db_session, examiner):
    CadreFactory(staff_no="S1")
    page = text_of(post(client, "/examiner/exams/new", exam_form(staff_nos="S1", extensions="S1")))
    with app.test_request_context():
        expected = gettext(
            "Line %(n)s: write a staff number and 1 to 600 minutes, such as T00012 15.", n=1
        )
    assert expected in page
    assert count(db_session, Exam) == 0


def test_extension_moves_a_running_attempt_and_is_audited(client, db_session, examiner):
    cadre = CadreFactory(staff_no="S1")
    exam = open_exam(db_session, staff_nos=("S1",), time_limit=20, hours=3)
    began = utcnow() - timedelta(minutes=1)
    attempt, _ = exams.start_attempt(db_session, exam, cadre, now=began)
    assert attempt.deadline == began + timedelta(minutes=20)

    response = post(
        client, f"/examiner/exams/{exam.id}/extension", {"staff_no": "S1", "minutes": "10"}
    )

    assert response.headers["Location"] == f"/examiner/exams/{exam.id}#extension"
    db_session.expire_all()
    assert db_session.get(Attempt, attempt.id).deadline == began + timedelta(minutes=30)
    event = db_session.scalar(select(AuditEvent).where(AuditEvent.action == "exam.extension"))
    assert (event.actor_id, event.detail["staff_no"], event.detail["minutes"]) == (
        examiner.id,
        "S1",
        [0, 10],
    )
    page = text_of(client.get(f"/examiner/exams/{exam.id}"))
    assert "S1" in page.split('id="extension"')[1].split("<form")[0]


def test_extension_for_someone_who_may_not_sit_is_refused(app, client, db_session, examiner):
    CadreFactory(staff_no="S1")
    CadreFactory(staff_no="S9")
    exam = open_exam(db_session, staff_nos=("S1",))
    response = post(
        client,
        f"/examiner/exams/{exam.id}/extension",
        {"staff_no": "S9", "minutes": "10"},
        follow_redirects=True,
    )
    with app.test_request_context():
        assert message_for("not_a_candidate", {"staff_no": "S9"}) in text_of(response)
    assert count(db_session, AuditEvent, AuditEvent.action == "exam.extension") == 0


# ---- the monitor --------------------------------------------------------------------------


def test_monitor_counts_per_unit_and_closes_attempts_whose_time_ran_out(
    client, db_session, examiner
):
    east, west = UnitFactory(name="东区"), UnitFactory(name="西区")
    running, done = CadreFactory(unit=east), CadreFactory(unit=east)
    late, idle = CadreFactory(unit=west), CadreFactory(unit=west)
    opens = utcnow() - timedelta(hours=1)
    exam = open_exam(
        db_session,
        staff_nos=tuple(c.staff_no for c in (running, done, late, idle)),
        opens=opens,
        hours=3,
        time_limit=20,
    )
    exams.start_attempt(db_session, exam, running)
    attempt, _ = exams.start_attempt(db_session, exam, done)
    delivery.submit(db_session, attempt, GRACE)
    exams.start_attempt(db_session, exam, late, now=opens)  # its 20 minutes are long over

    data = client.get(f"/examiner/exams/{exam.id}/monitor.json").get_json()

    zero = {"exempt": 0, "not_started": 0, "in_progress": 0, "submitted": 0, "expired": 0}
    assert data["rows"] == [
        {"unit": "东区", **zero, "eligible": 2, "in_progress": 1, "submitted": 1},
        {"unit": "西区", **zero, "eligible": 2, "not_started": 1, "expired": 1},
    ]
    assert data["totals"] == {
        **zero,
        "eligible": 4,
        "not_started": 1,
        "in_progress": 1,
        "submitted": 1,
        "expired": 1,
    }
    assert data["status"] == "open"
    assert re.fullmatch(r"\d\d:\d\d:\d\d", data["updated_at"])


def test_exam_page_shows_settings_monitor_and_its_actions(client, db_session, examiner):
    unit = UnitFactory(name="东区")
    CadreFactory(unit=unit, staff_no="S1")
    exam = open_exam(
        db_session,
        blueprint="annual-standard",
        kind="annual",
        staff_nos=("S1",),
        time_limit=25,
        title="页面考试",
    )

    response = client.get(f"/examiner/exams/{exam.id}")

    page = text_of(response)
    assert response.status_code == 200
    assert f'data-url="/examiner/exams/{exam.id}/monitor.json"' in page
    assert 'src="/static/js/monitor.js"' in page
    row = page.split("data-monitor-rows>")[1].split("</tr>")[0]
    assert re.findall(r">(\w+)</td>", row) == ["东区", "1", "0", "1", "0", "0", "0"]
    assert f'href="/examiner/exams/new?kind=make_up&amp;original={exam.id}"' in (
        response.get_data(as_text=True)
    )
    assert f'href="/examiner/exams/{exam.id}/regrade"' in page
    assert 'href="/examiner/blueprints/annual-standard"' in page
    assert "25" in page.split('id="settings"')[1].split("</dl>")[0]


def test_exam_list_shows_window_counts_and_status(client, db_session, examiner):
    CadreFactory(staff_no="S1")
    CadreFactory(staff_no="S2")
    now = utcnow()
    open_exam(db_session, staff_nos=("S1", "S2"), title="进行中")
    open_exam(db_session, staff_nos=("S1",), title="未开始", opens=now + timedelta(days=1))
    open_exam(db_session, staff_nos=("S1",), title="已结束", opens=now - timedelta(days=2))

    page = text_of(client.get("/examiner/exams"))

    def row(title: str) -> str:
        return page.split(f">{title}</a>")[1].split("</tr>")[0]

    assert "text-bg-success" in row("进行中") and "text-bg-info" in row("未开始")
    assert "text-bg-secondary" in row("已结束")
    assert re.findall(r'<td class="text-end">(\d+)</td>', row("进行中")) == ["2", "0"]


def test_unknown_exam_is_not_found(client, examiner):
    assert client.get("/examiner/exams/999").status_code == 404
    assert client.get("/examiner/exams/999/monitor.json").status_code == 404


# ---- regrading ----------------------------------------------------------------------------


def sit(session, exam: Exam, cadre, right: set[int]) -> Attempt:
    """Start, answer the positions in `right` correctly, and submit."""
    attempt, _ = exams.start_attempt(session, exam, cadre)
    paper = paper_from_json(attempt.paper)
    for position, item in enumerate(paper.items, start=1):
        if position in right:
            version = session.get(QuestionVersion, item.version_id)
            key = version.answer if isinstance(version.answer, bool) else tuple(version.answer)
            choice = list(to_displayed(item, key))
            delivery.save_answer(session, attempt, position, choice, 1, GRACE)
    delivery.submit(session, attempt, GRACE)
    return attempt


def correct_key(session, question_id: str) -> None:
    """Give the question another key, as an examiner's edit would (a new version)."""
    version = session.get(Question, question_id).current
    wrong = next(key for key, _ in version.options if key not in version.answer)
    data = {
        "type": version.type,
        "difficulty": version.difficulty,
        "stem": version.stem,
        "options": dict(version.options),
        "answer": wrong,
        "law": version.law_id,
        "article": version.article,
        "explanation": version.explanation,
        "tags": list(version.tags),
        "status": "approved",
    }
    result = questions.save_question(session, None, data, version.topic, question_id=question_id)
    assert result.version_created


def test_regrade_shows_the_changes_then_applies_them_audited(client, db_session, examiner):
    cadre = CadreFactory(staff_no="R1", name="及格线")
    exam = open_exam(db_session, staff_nos=("R1",))
    attempt = sit(db_session, exam, cadre, set(range(1, 13)))  # 12 of 20: just passed
    assert (attempt.score, attempt.passed) == (Decimal(12), True)
    first = paper_from_json(attempt.paper).items[0]  # a single-choice item answered right
    correct_key(db_session, first.question_id)

    preview = client.get(f"/examiner/exams/{exam.id}/regrade")

    page = text_of(preview)
    row = page.split('id="regrade-changes"')[1].split("<tbody>")[1].split("</tr>")[0]
    assert re.findall(r"<td[^>]*>([^<]+)</td>", row) == ["R1", "及格线", "12", "11"]
    db_session.expire_all()
    assert db_session.get(Attempt, attempt.id).score == Decimal(12)
    assert count(db_session, AuditEvent, AuditEvent.action.like("%regrade")) == 0

    applied = post(client, f"/examiner/exams/{exam.id}/regrade")

    assert applied.headers["Location"] == f"/examiner/exams/{exam.id}"
    db_session.expire_all()
    regraded = db_session.get(Attempt, attempt.id)
    assert (regraded.score, regraded.passed) == (Decimal(11), False)
    event = db_session.scalar(select(AuditEvent).where(AuditEvent.action == "attempt.regrade"))
    assert (event.actor_id, event.object_id, event.detail["passed"]) == (
        examiner.id,
        str(attempt.id),
        [True, False],
    )
    summary = db_session.scalar(select(AuditEvent).where(AuditEvent.action == "exam.regrade"))
    assert (summary.actor_id, summary.detail) == (examiner.id, {"changed": 1})
    again = text_of(client.get(f"/examiner/exams/{exam.id}/regrade"))
    assert 'id="regrade-changes"' not in again
