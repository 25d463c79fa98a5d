"""The candidate's pages over HTTP: home, start with the pledge, the exam shell, the result.

The candidate reads English here, so the checks hold before and after the Chinese
catalog gains the new strings.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.domain.attempts import paper_from_json
from app.domain.people import Role
from app.models import Attempt, QuestionVersion
from app.services import delivery, exams
from app.timeutil import utcnow
from tests.conftest import Auth, post_form
from tests.exam_setup import load_starter_bank, open_exam
from tests.factories import make_user

GRACE = 10


@pytest.fixture
def bank(db_session):
    load_starter_bank(db_session)
    return db_session


@pytest.fixture
def candidate(client, bank):
    user = make_user(Role.CANDIDATE)
    Auth(client).login(user.username)
    post_form(client, "/language", {"locale": "en"})
    return user


def attempts_of(session, cadre) -> list[Attempt]:
    session.expire_all()
    return list(session.scalars(select(Attempt).where(Attempt.cadre_id == cadre.id)))


def sat_and_submitted(session, exam, cadre) -> Attempt:
    """An attempt answered A everywhere and submitted, through the services."""
    attempt, _ = exams.start_attempt(session, exam, cadre)
    for position in range(1, len(paper_from_json(attempt.paper).items) + 1):
        delivery.save_answer(session, attempt, position, ["A"], 1, GRACE)
    delivery.submit(session, attempt, GRACE)
    return attempt


def section_html(page: str, group: str) -> str:
    start = page.index(f'id="exams-{group}"')
    return page[start : page.index("</section>", start)]


# ---- home ---------------------------------------------------------------------------------


def test_home_groups_exams_as_open_upcoming_and_finished(client, bank, candidate):
    staff = (candidate.cadre.staff_no,)
    open_exam(bank, staff_nos=staff, title="开放中的考试", time_limit=20)
    open_exam(bank, staff_nos=staff, title="将来的考试", opens=utcnow() + timedelta(days=2))
    open_exam(bank, staff_nos=staff, title="已结束的考试", opens=utcnow() - timedelta(days=3))
    done = open_exam(bank, staff_nos=staff, title="已考完的考试", attempts=1)
    attempt = sat_and_submitted(bank, done, candidate.cadre)
    open_exam(bank, staff_nos=(make_user().cadre.staff_no,), title="别人的考试")

    page = client.get("/candidate/").get_data(as_text=True)

    assert "开放中的考试" in section_html(page, "open")
    assert "20 minutes" in section_html(page, "open")
    assert "将来的考试" in section_html(page, "upcoming")
    finished = section_html(page, "finished")
    assert "已结束的考试" in finished and "已考完的考试" in finished
    assert "别人的考试" not in page
    history = page[page.index('id="results-history"') :]
    assert "已考完的考试" in history
    assert f"/candidate/attempts/{attempt.id}/result" in history
    assert f"{float(attempt.score):g} / {float(attempt.max_score):g}" in history


def test_home_shows_local_time_windows(client, bank, candidate):
    opens = utcnow().replace(second=0, microsecond=0) - timedelta(minutes=30)
    open_exam(bank, staff_nos=(candidate.cadre.staff_no,), opens=opens)
    page = client.get("/candidate/").get_data(as_text=True)
    local = (opens + timedelta(hours=8)).strftime("%Y-%m-%d %H:%M")  # Asia/Shanghai, no DST
    assert local in page


# ---- start --------------------------------------------------------------------------------


def test_start_page_states_the_rules_and_grading(client, bank, candidate):
    exam = open_exam(bank, staff_nos=(candidate.cadre.staff_no,), time_limit=20)
    page = client.get(f"/candidate/exams/{exam.id}").get_data(as_text=True)
    rules = page[page.index('id="exam-rules"') :]
    assert "20 minutes" in rules
    assert "20 questions in 3 sections" in rules  # the practice blueprint: 10 + 5 + 5
    assert "worth 20 points; you pass with 12 points" in rules
    assert "When time is up, the paper is submitted automatically" in page
    grading = page[page.index('id="grading-rules"') :]
    assert "half the points" in grading  # its multiple-choice section gives half credit
    assert 'name="pledge"' in page


def test_start_needs_the_pledge(client, bank, candidate):
    exam = open_exam(bank, staff_nos=(candidate.cadre.staff_no,))
    path = f"/candidate/exams/{exam.id}"
    response = post_form(client, path, {}, page=path)
    assert response.status_code == 200
    assert "is-invalid" in response.get_data(as_text=True)
    assert attempts_of(bank, candidate.cadre) == []


def test_starting_twice_resumes_the_same_attempt(client, bank, candidate):
    exam = open_exam(bank, staff_nos=(candidate.cadre.staff_no,), attempts=3)
    path = f"/candidate/exams/{exam.id}"
    first = post_form(client, path, {"pledge": "y"}, page=path)
    second = post_form(client, path, {"pledge": "y"}, page=path)
    [attempt] = attempts_of(bank, candidate.cadre)
    assert first.status_code == second.status_code == 302
    assert first.headers["Location"] == second.headers["Location"]
    assert first.headers["Location"] == f"/candidate/attempts/{attempt.id}"
    page = client.get(path).get_data(as_text=True)
    assert f'href="/candidate/attempts/{attempt.id}"' in page
    assert 'name="pledge"' not in page


def test_start_refused_by_the_service_flashes_and_goes_home(client, bank, candidate):
    later = utcnow() + timedelta(hours=1)
    exam = open_exam(bank, staff_nos=(candidate.cadre.staff_no,), opens=later)
    path = f"/candidate/exams/{exam.id}"
    assert 'name="pledge"' not in client.get(path).get_data(as_text=True)
    response = post_form(client, path, {"pledge": "y"}, page=path)
    assert response.status_code == 302
    assert response.headers["Location"] == "/candidate/"
    assert "This exam is not open now." in client.get("/candidate/").get_data(as_text=True)
    assert attempts_of(bank, candidate.cadre) == []


def test_an_exam_the_candidate_may_not_sit_is_404(client, bank, candidate):
    exam = open_exam(bank, staff_nos=(make_user().cadre.staff_no,))
    assert client.get(f"/candidate/exams/{exam.id}").status_code == 404
    assert post_form(client, f"/candidate/exams/{exam.id}", {"pledge": "y"}).status_code == 404
    assert client.get("/candidate/exams/999999").status_code == 404
    assert client.get(f"/candidate/exams/{2**40}").status_code == 404


# ---- the exam page ------------------------------------------------------------------------


def test_another_candidates_attempt_is_404(client, bank, candidate):
    other = make_user()
    exam = open_exam(bank, staff_nos=(candidate.cadre.staff_no, other.cadre.staff_no))
    theirs, _ = exams.start_attempt(bank, exam, other.cadre)
    assert client.get(f"/candidate/attempts/{theirs.id}").status_code == 404
    delivery.submit(bank, theirs, GRACE)
    assert client.get(f"/candidate/attempts/{theirs.id}/result").status_code == 404
    assert client.get("/candidate/attempts/999999").status_code == 404
    assert client.get(f"/candidate/attempts/{2**40}/result").status_code == 404


def test_exam_page_is_a_shell_without_keys_or_explanations(client, bank, candidate):
    exam = open_exam(bank, staff_nos=(candidate.cadre.staff_no,))
    attempt, _ = exams.start_attempt(bank, exam, candidate.cadre)
    page = client.get(f"/candidate/attempts/{attempt.id}").get_data(as_text=True)
    api = client.get(f"/api/attempts/{attempt.id}").get_data(as_text=True)
    ids = [item.version_id for item in paper_from_json(attempt.paper).items]
    versions = bank.scalars(select(QuestionVersion).where(QuestionVersion.id.in_(ids))).all()
    for version in versions:
        assert version.explanation not in page and version.explanation not in api
        assert version.stem not in page  # the script fetches the paper; the HTML holds none
        for _key, text in version.options or []:
            assert text not in page
    assert '"explanation"' not in api and '"answer"' not in api and '"key": [' not in api
    assert f'data-attempt-url="/api/attempts/{attempt.id}"' in page
    assert 'id="exam-strings"' in page
    assert "js/exam.js" in page
    assert not re.search(r"<script(?![^>]*\b(src|type=\"application/json\"))", page)


def test_exam_page_of_a_finished_attempt_goes_to_the_result(client, bank, candidate):
    exam = open_exam(bank, staff_nos=(candidate.cadre.staff_no,))
    attempt = sat_and_submitted(bank, exam, candidate.cadre)
    response = client.get(f"/candidate/attempts/{attempt.id}")
    assert response.headers["Location"] == f"/candidate/attempts/{attempt.id}/result"


def test_result_of_an_attempt_in_progress_goes_to_the_exam_page(client, bank, candidate):
    exam = open_exam(bank, staff_nos=(candidate.cadre.staff_no,))
    attempt, _ = exams.start_attempt(bank, exam, candidate.cadre)
    response = client.get(f"/candidate/attempts/{attempt.id}/result")
    assert response.headers["Location"] == f"/candidate/attempts/{attempt.id}"


def test_an_attempt_past_its_deadline_is_graded_when_opened(client, bank, candidate):
    exam = open_exam(bank, staff_nos=(candidate.cadre.staff_no,))
    attempt, _ = exams.start_attempt(bank, exam, candidate.cadre)
    attempt.deadline = utcnow() - timedelta(minutes=5)
    bank.commit()
    response = client.get(f"/candidate/attempts/{attempt.id}")
    assert response.headers["Location"] == f"/candidate/attempts/{attempt.id}/result"
    [stored] = attempts_of(bank, candidate.cadre)
    assert stored.status == "expired" and stored.score == 0


# ---- the result ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("policy", "closed", "shown"),
    [
        ("never", True, False),
        ("after_submit", False, True),
        ("after_close", False, False),
        ("after_close", True, True),
    ],
)
def test_review_follows_the_exam_policy(client, bank, candidate, policy, closed, shown):
    exam = open_exam(bank, staff_nos=(candidate.cadre.staff_no,), review=policy)
    attempt = sat_and_submitted(bank, exam, candidate.cadre)
    if closed:
        exam.closes_at = utcnow() - timedelta(minutes=1)
        bank.commit()
    page = client.get(f"/candidate/attempts/{attempt.id}/result").get_data(as_text=True)
    first = bank.get(QuestionVersion, paper_from_json(attempt.paper).items[0].version_id)
    assert f"{float(attempt.score):g}" in page[page.index('id="result-score"') :][:80]
    assert "单项选择题" in page[page.index('id="section-scores"') :]
    assert (first.explanation in page) is shown
    assert ('class="card shadow-sm mb-3 review-item' in page) is shown
    assert ('id="review-closed"' in page) is not shown


def test_review_escapes_text_and_keeps_line_breaks(client, bank, candidate):
    exam = open_exam(bank, staff_nos=(candidate.cadre.staff_no,), review="after_submit")
    attempt = sat_and_submitted(bank, exam, candidate.cadre)
    first = bank.get(QuestionVersion, paper_from_json(attempt.paper).items[0].version_id)
    first.stem = "第一行<b>粗</b>\n第二行"
    first.explanation = "解析<script>alert(1)</script>"
    bank.commit()
    page = client.get(f"/candidate/attempts/{attempt.id}/result").get_data(as_text=True)
    assert '<div class="stem text-block mb-3">第一行&lt;b&gt;粗&lt;/b&gt;\n第二行</div>' in page
    assert "解析&lt;script&gt;" in page and "<script>alert" not in page


def test_results_history_lists_every_finished_attempt(client, bank, candidate):
    exam = open_exam(bank, staff_nos=(candidate.cadre.staff_no,), attempts=3)
    sat_and_submitted(bank, exam, candidate.cadre)
    sat_and_submitted(bank, exam, candidate.cadre)
    page = client.get("/candidate/").get_data(as_text=True)
    history = page[page.index('id="results-history"') :]
    assert history.count("/result") == 2
    assert bank.scalar(select(func.count()).select_from(Attempt)) == 2
