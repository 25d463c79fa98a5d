"""In a real browser: sitting an exam on desktop and phone, reloads, lost connections, time-up.

Every check of what was saved reads the database, not the page: the page could
be showing answers that never reached the server.
"""

from __future__ import annotations

import re
from datetime import timedelta
from fractions import Fraction

import pytest
from sqlalchemy import select

from app.domain.people import Role
from app.models import Answer, Attempt, QuestionVersion
from app.services import exams
from app.timeutil import utcnow
from tests.exam_setup import load_starter_bank, open_exam
from tests.factories import DEFAULT_PASSWORD, make_user

pytestmark = pytest.mark.e2e

LETTERS = "ABCDEFGH"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def sitter(db_session):
    """A candidate and a practice exam (20 questions, review after submit) open to them."""
    load_starter_bank(db_session)
    user = make_user(Role.CANDIDATE)
    exam = open_exam(db_session, staff_nos=(user.cadre.staff_no,), attempts=5, time_limit=20)
    return user, exam


def new_page(browser, viewport=DESKTOP, context=None):
    context = context or browser.new_context(viewport=viewport, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(10_000)
    return page


def sign_in(page, base: str, username: str) -> None:
    page.goto(f"{base}/auth/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", DEFAULT_PASSWORD)
    page.click("form:has(input[name=password]) button[type=submit]")
    page.wait_for_url(f"{base}/candidate/")


def start_exam(page, base: str, exam) -> None:
    page.goto(f"{base}/candidate/exams/{exam.id}")
    page.check("input[name=pledge]")
    page.click("form:has(input[name=pledge]) button[type=submit]")
    page.wait_for_selector("#q1")
    wait_saved(page)


def wait_saved(page) -> None:
    page.wait_for_selector('#save-state[data-state="saved"]')


def the_attempt(session, user) -> Attempt:
    session.expire_all()
    return session.scalars(select(Attempt).where(Attempt.cadre_id == user.cadre.id)).one()


def saved(session, attempt) -> dict[int, tuple[list[str], bool]]:
    session.expire_all()
    rows = session.scalars(select(Answer).where(Answer.attempt_id == attempt.id))
    return {row.position: (sorted(row.choice), row.flagged) for row in rows}


# ---- a plan of answers and its score, worked out by hand from the keys --------------------


def shown(option_order: list[str], key: str) -> str:
    """The letter the candidate sees for the question's own option `key`."""
    return LETTERS[option_order.index(key)]


def answer_plan(session, attempt) -> tuple[dict[int, list[str]], Fraction]:
    """Right, wrong, partial and blank answers mixed; and the score they must earn."""
    plan: dict[int, list[str]] = {}
    total = Fraction(0)
    position = 0
    for section in attempt.paper["sections"]:
        points = Fraction(section["points"])
        for index, item in enumerate(section["items"]):
            position += 1
            version = session.get(QuestionVersion, item["version_id"])
            order = item["option_order"]
            if section["type"] == "judge":
                right = "A" if version.answer else "B"
                if position % 2:
                    plan[position], total = [right], total + points
                else:
                    plan[position] = ["B" if right == "A" else "A"]
            elif section["type"] == "single":
                right = shown(order, version.answer[0])
                if position % 3:
                    plan[position], total = [right], total + points
                else:
                    plan[position] = [next(k for k in LETTERS[: len(order)] if k != right)]
            else:
                keys = sorted(shown(order, k) for k in version.answer)
                wrong = next(k for k in LETTERS[: len(order)] if k not in keys)
                case = index % 4
                if case == 0:  # exactly right: full points
                    plan[position], total = keys, total + points
                elif case == 1:  # a correct subset: half, under partial_credit: half
                    plan[position] = keys[:1]
                    total += points / 2 if section["partial_credit"] == "half" else 0
                elif case == 2:  # one wrong option spoils it
                    plan[position] = sorted([*keys, wrong])
                # case 3: left blank, nothing
    return plan, total


def choose(page, position: int, letters: list[str]) -> None:
    for letter in letters:
        page.check(f"#q{position}-{letter}")


def shown_score(page) -> str:
    return page.inner_text("#result-score").strip()


# ---- the tests ----------------------------------------------------------------------------


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_a_full_sitting_scores_what_a_hand_computation_gives(
    browser, live_server, db_session, sitter, viewport
):
    user, exam = sitter
    page = new_page(browser, viewport)
    sign_in(page, live_server, user.username)
    start_exam(page, live_server, exam)
    attempt = the_attempt(db_session, user)
    plan, expected = answer_plan(db_session, attempt)
    count = sum(len(section["items"]) for section in attempt.paper["sections"])
    blank = [p for p in range(1, count + 1) if p not in plan]

    if viewport is PHONE:
        assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
        for position in range(1, count + 1):
            assert page.is_visible(f"#q{position}")
            assert not page.is_visible(f"#q{position % count + 1}")  # one question per screen
            choose(page, position, plan.get(position, []))
            if position < count:
                page.click("#pager-next")
        page.click("#nav-toggle")  # the navigator panel
        page.click("#nav-q2")
        page.wait_for_selector("#q2", state="visible")
        page.wait_for_selector("#nav-q2", state="hidden")  # the panel folds away again
    else:
        for position in range(1, count + 1):
            choose(page, position, plan.get(position, []))
    page.click("#q2 .exam-flag")
    wait_saved(page)
    assert page.get_attribute("#nav-q2", "class").split().count("is-flagged") == 1

    page.click("#submit-open")
    page.wait_for_selector("#submit-dialog.show")
    assert set(map(str, blank)) <= set(re.findall(r"\d+", page.inner_text("#submit-unanswered")))
    page.click("#submit-confirm")
    page.wait_for_url(f"{live_server}/candidate/attempts/{attempt.id}/result")

    assert shown_score(page) == f"{float(expected):g}"
    attempt = the_attempt(db_session, user)
    assert attempt.status == "submitted"
    assert Fraction(attempt.score) == expected
    assert {p: choice for p, (choice, _) in saved(db_session, attempt).items() if choice} == plan
    assert page.locator(".review-item").count() == count  # review after submit


def test_a_reload_or_another_device_restores_every_answer(browser, live_server, db_session, sitter):
    user, exam = sitter
    page = new_page(browser)
    sign_in(page, live_server, user.username)
    start_exam(page, live_server, exam)
    attempt = the_attempt(db_session, user)
    plan, _ = answer_plan(db_session, attempt)
    for position in (1, 2, 12):
        choose(page, position, plan[position])
    page.click("#q2 .exam-flag")
    # By keyboard alone: Space picks an option, an arrow key moves the choice, Enter flags.
    page.focus("#q5-A")
    page.keyboard.press("Space")
    page.keyboard.press("ArrowDown")
    page.focus("#q5 .exam-flag")
    page.keyboard.press("Enter")
    wait_saved(page)
    assert saved(db_session, attempt)[5] == (["B"], True)

    page.reload()
    page.wait_for_selector("#q1")
    wait_saved(page)
    other = new_page(browser, PHONE)  # another device: nothing in its local storage
    sign_in(other, live_server, user.username)
    other.goto(page.url)
    other.wait_for_selector("#q3")  # a phone opens at the first question not answered
    for view in (page, other):
        for position in (1, 2, 12):
            for letter in plan[position]:
                assert view.is_checked(f"#q{position}-{letter}")
        assert view.get_attribute("#q2 .exam-flag", "aria-pressed") == "true"
        assert "is-answered" in view.get_attribute("#nav-q12", "class")
        assert "is-answered" not in view.get_attribute("#nav-q3", "class")
    assert saved(db_session, attempt)[2] == (sorted(plan[2]), True)


def test_answers_made_offline_reach_the_server_when_the_connection_returns(
    browser, live_server, db_session, sitter
):
    user, exam = sitter
    page = new_page(browser)
    context = page.context
    sign_in(page, live_server, user.username)
    start_exam(page, live_server, exam)
    attempt = the_attempt(db_session, user)
    plan, _ = answer_plan(db_session, attempt)
    choose(page, 1, plan[1])
    wait_saved(page)

    context.set_offline(True)
    choose(page, 2, plan[2])
    choose(page, 12, plan[12])
    page.wait_for_selector('#save-state[data-state="offline"]')
    assert set(saved(db_session, attempt)) == {1}
    context.set_offline(False)
    wait_saved(page)
    assert {p: c for p, (c, _) in saved(db_session, attempt).items()} == {
        p: sorted(plan[p]) for p in (1, 2, 12)
    }

    # Offline again, then the tab is closed: the queue waits in local storage for the next visit.
    context.set_offline(True)
    choose(page, 3, plan[3])
    page.wait_for_selector('#save-state[data-state="offline"]')
    url = page.url
    page.close()
    assert 3 not in saved(db_session, attempt)
    context.set_offline(False)
    page = new_page(browser, context=context)
    page.goto(url)
    page.wait_for_selector("#q3")
    wait_saved(page)
    assert page.is_checked(f"#q3-{plan[3][0]}")
    assert saved(db_session, attempt)[3] == (sorted(plan[3]), False)


def test_the_paper_is_submitted_automatically_at_time_up(browser, live_server, db_session, sitter):
    user, exam = sitter
    attempt, _ = exams.start_attempt(db_session, exam, user.cadre)
    attempt.deadline = utcnow() + timedelta(seconds=4)
    db_session.commit()
    plan, _ = answer_plan(db_session, attempt)

    page = new_page(browser)
    sign_in(page, live_server, user.username)
    page.goto(f"{live_server}/candidate/attempts/{attempt.id}")
    page.wait_for_selector("#q1")
    choose(page, 1, plan[1])
    page.wait_for_selector("#exam-alert:not(.d-none)")  # the one-minute warning, at once
    assert page.inner_text("#exam-announcer").strip()
    page.wait_for_url(f"{live_server}/candidate/attempts/{attempt.id}/result", timeout=15_000)

    attempt = the_attempt(db_session, user)
    assert attempt.status in ("submitted", "expired")
    assert attempt.graded_at is not None
    assert saved(db_session, attempt) == {1: (sorted(plan[1]), False)}
    assert shown_score(page) == f"{float(attempt.score):g}"
