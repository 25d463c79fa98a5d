"""Examiner blueprint pages: the list, a blueprint, creating and editing, the live check."""

from __future__ import annotations

import html as html_lib
import re

import pytest
from flask_babel import gettext
from sqlalchemy import func, select

from app.domain.blueprints import BANDS
from app.domain.papers import Shortfall
from app.messages import describe_shortfall, message_for
from app.models import AuditEvent
from app.models import Blueprint as BlueprintRow
from app.services import blueprints
from tests.exam_setup import load_starter_bank
from tests.functional.test_examiner_support import post, sign_in_examiner


@pytest.fixture
def examiner(client, db_session):
    load_starter_bank(db_session)
    return sign_in_examiner(client)


def text_of(response) -> str:
    return html_lib.unescape(response.get_data(as_text=True))


def problems_at(page: str, place: str) -> list[str]:
    """The messages the page shows in the problem box for the input `place`."""
    match = re.search(
        rf'data-problems-for="{re.escape(place)}">'
        r'((?:<div class="invalid-feedback d-block">.*?</div>)*)</div>',
        page,
    )
    assert match, f"no problem box for {place!r}"
    return re.findall(r'<div class="invalid-feedback d-block">(.*?)</div>', match.group(1), re.S)


def value_of(page: str, name: str) -> str:
    """The value an input of the page holds."""
    tag = re.search(rf'<input[^>]*name="{re.escape(name)}"[^>]*>', page)
    assert tag, f"no input {name}"
    return re.search(r'value="([^"]*)"', tag.group(0)).group(1)


def blueprint_form(**overrides: object) -> dict:
    """Form fields of a valid blueprint of two sections the starter bank can fill."""
    data: dict = {
        "blueprint_id": "web-made",
        "title": "网页组卷",
        "kind": "annual",
        "time_limit_minutes": "45",
        "pass_score": "18",
        "shuffle_questions": "y",
        "sections-0-title": "单项选择题",
        "sections-0-qtype": "single",
        "sections-0-count": "10",
        "sections-0-points": "2",
        "sections-0-partial_credit": "none",
        "sections-0-topics-0-name": "宪法",
        "sections-0-topics-0-number": "6",
        "sections-0-topics-1-name": "民法典",
        "sections-0-topics-1-number": "4",
        "sections-0-difficulty-easy": "4",
        "sections-0-difficulty-medium": "4",
        "sections-0-difficulty-hard": "2",
        "sections-1-title": "多项选择题",
        "sections-1-qtype": "multiple",
        "sections-1-count": "5",
        "sections-1-points": "1.5",
        "sections-1-partial_credit": "half",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def count(session, model, *where) -> int:
    return session.scalar(select(func.count()).select_from(model).where(*where))


# ---- the list and one blueprint -----------------------------------------------------------


def test_list_shows_each_blueprint_with_its_figures(client, examiner):
    page = text_of(client.get("/examiner/blueprints"))
    row = page.split("annual-standard</code>")[1].split("</tr>")[0]
    cells = re.findall(r'<td class="text-end">([^<]*)</td>', row)
    assert cells == ["55", "100", "60"]  # questions, total, pass score
    assert "年度法律知识考试" in row
    assert "text-bg-success" in row  # the approved questions can fill it
    for blueprint_id in ("make-up-standard", "practice", "pre-appointment-standard"):
        assert f'href="/examiner/blueprints/{blueprint_id}"' in page


def test_list_names_the_shortfalls_of_a_blueprint_the_pool_cannot_fill(client, examiner):
    too_many = {"sections-0-topics-0-number": "296", "sections-0-count": "300"}
    form = blueprint_form(**too_many, **{f"sections-0-difficulty-{b}": "" for b in BANDS})
    assert post(client, "/examiner/blueprints/new", form).status_code == 302
    page = text_of(client.get("/examiner/blueprints"))
    row = page.split("web-made</code>")[1].split("</tr>")[0]
    assert "text-bg-warning" in row
    assert "<li>" in row


def test_blueprint_page_shows_its_sections_and_measures_fairness_on_request(client, examiner):
    page = text_of(client.get("/examiner/blueprints/annual-standard"))
    assert "单项选择题" in page and "多项选择题" in page and "判断题" in page
    assert "宪法 4" in page  # a topic quota
    assert 'href="/examiner/exams/new?blueprint=annual-standard"' in page
    assert '<dl class="row small mb-0">' not in page.split('id="fairness"')[1]

    measured = text_of(client.get("/examiner/blueprints/annual-standard?fairness=1"))

    fairness = measured.split('id="fairness"')[1]
    assert '<dl class="row small mb-0">' in fairness
    assert re.search(r"\d+%", fairness)


def test_unknown_blueprint_is_not_found(client, examiner):
    assert client.get("/examiner/blueprints/nope").status_code == 404
    assert client.get("/examiner/blueprints/nope/edit").status_code == 404


# ---- creating -----------------------------------------------------------------------------


def test_new_blueprint_is_saved_through_the_form_and_audited(client, db_session, examiner):
    response = post(client, "/examiner/blueprints/new", blueprint_form())

    assert response.status_code == 302
    assert response.headers["Location"] == "/examiner/blueprints/web-made"
    row = db_session.get(BlueprintRow, "web-made")
    assert row.definition == {
        "id": "web-made",
        "title": "网页组卷",
        "kind": "annual",
        "time_limit_minutes": 45,
        "pass_score": 18,
        "shuffle_questions": True,
        "shuffle_options": False,
        "sections": [
            {
                "title": "单项选择题",
                "type": "single",
                "count": 10,
                "points": 2,
                "topics": {"宪法": 6, "民法典": 4},
                "difficulty": {"easy": 4, "medium": 4, "hard": 2},
            },
            {
                "title": "多项选择题",
                "type": "multiple",
                "count": 5,
                "points": 1.5,
                "partial_credit": "half",
            },
        ],
    }
    event = db_session.scalar(select(AuditEvent).where(AuditEvent.action == "blueprint.create"))
    assert (event.actor_id, event.object_id) == (examiner.id, "web-made")


def test_a_difficulty_band_left_empty_beside_others_asks_for_none_of_it(
    client, db_session, examiner
):
    form = blueprint_form(**{"sections-0-difficulty-hard": "", "sections-0-difficulty-medium": "6"})
    assert post(client, "/examiner/blueprints/new", form).status_code == 302
    section = db_session.get(BlueprintRow, "web-made").definition["sections"][0]
    assert section["difficulty"] == {"easy": 4, "medium": 6}


def test_problems_are_shown_beside_their_inputs_and_nothing_is_saved(
    app, client, db_session, examiner
):
    form = blueprint_form(
        blueprint_id="Bad Id",
        time_limit_minutes="",
        pass_score="100",
        **{
            "sections-0-topics-1-number": "3",  # 6 + 3 is not 10
            "sections-1-qtype": "single",  # a second single-choice section
            "sections-1-points": "abc",
            "sections-0-difficulty-easy": "x",
        },
    )
    response = post(client, "/examiner/blueprints/new", form)

    assert response.status_code == 200
    page = text_of(response)
    with app.test_request_context():
        assert problems_at(page, "blueprint_id") == [message_for("bad_id")]
        assert problems_at(page, "time_limit_minutes") == [gettext("Enter a number.")]
        assert problems_at(page, "sections-0-topics") == [
            message_for("quota_sum", {"field": "topics", "total": 9, "count": 10})
        ]
        assert problems_at(page, "sections-0-difficulty-easy") == [
            message_for("bad_quota_number", {"field": "difficulty", "name": "easy", "value": "x"})
        ]
        assert problems_at(page, "sections-1-points") == [
            message_for("bad_score", {"field": "points", "value": "abc"})
        ]
    assert value_of(page, "sections-1-points") == "abc"  # what was typed stays to be fixed
    assert re.search(r'<input class="form-control is-invalid" id="blueprint_id"', page)
    assert count(db_session, BlueprintRow, BlueprintRow.id == "web-made") == 0
    assert count(db_session, AuditEvent, AuditEvent.action.like("blueprint.%")) == 0


def test_two_sections_of_one_type_are_named(app, client, examiner):
    form = blueprint_form(**{"sections-1-qtype": "single", "sections-1-partial_credit": None})
    page = text_of(post(client, "/examiner/blueprints/new", form))
    with app.test_request_context():
        assert problems_at(page, "sections-1") == [
            message_for("duplicate_section_type", {"type": "single"})
        ]


def test_a_pass_score_above_the_total_is_named(app, client, examiner):
    page = text_of(post(client, "/examiner/blueprints/new", blueprint_form(pass_score="28")))
    with app.test_request_context():
        assert problems_at(page, "pass_score") == [
            message_for("pass_score_too_high", {"pass_score": "28", "total": "27.5"})
        ]


def test_a_topic_twice_in_a_section_is_refused(app, client, db_session, examiner):
    form = blueprint_form(**{"sections-0-topics-1-name": "宪法"})
    page = text_of(post(client, "/examiner/blueprints/new", form))
    with app.test_request_context():
        assert problems_at(page, "sections-0-topics-1-name") == [
            gettext("%(topic)s is listed twice.", topic="宪法")
        ]
    assert db_session.get(BlueprintRow, "web-made") is None


def test_an_id_already_used_is_refused(app, client, db_session, examiner):
    before = db_session.get(BlueprintRow, "practice").definition
    page = text_of(
        post(client, "/examiner/blueprints/new", blueprint_form(blueprint_id="practice"))
    )
    with app.test_request_context():
        assert problems_at(page, "blueprint_id") == [
            gettext("The id %(id)s is already used by another blueprint.", id="practice")
        ]
    db_session.expire_all()
    assert db_session.get(BlueprintRow, "practice").definition == before


def test_new_blueprint_can_start_from_a_copy(client, examiner):
    page = text_of(client.get("/examiner/blueprints/new?copy=annual-standard"))
    assert value_of(page, "blueprint_id") == ""
    assert value_of(page, "title") == "年度法律知识考试"
    assert value_of(page, "sections-2-count") == "20"
    assert '<option selected value="宪法">宪法</option>' in page


# ---- editing ------------------------------------------------------------------------------


def test_edit_shows_the_blueprint_and_saves_a_change_audited(client, db_session, examiner):
    page = text_of(client.get("/examiner/blueprints/practice/edit"))
    assert value_of(page, "title") == "学法练习"
    assert value_of(page, "sections-1-count") == "5"
    assert '<option selected value="half">' in page

    form = blueprint_form(
        blueprint_id="someone-else",  # the id is the page's, whatever is posted
        title="学法练习（新）",
        kind="practice",
        pass_score="12",
    )
    response = post(client, "/examiner/blueprints/practice/edit", form)

    assert response.headers["Location"] == "/examiner/blueprints/practice"
    db_session.expire_all()
    row = db_session.get(BlueprintRow, "practice")
    assert row.title == "学法练习（新）"
    assert row.definition["sections"][0]["topics"] == {"宪法": 6, "民法典": 4}
    assert db_session.get(BlueprintRow, "someone-else") is None
    event = db_session.scalar(select(AuditEvent).where(AuditEvent.action == "blueprint.edit"))
    assert (event.actor_id, event.object_id) == (examiner.id, "practice")


def test_a_section_removed_and_one_left_blank_are_dropped(client, db_session, examiner):
    form = {
        key: value
        for key, value in blueprint_form(pass_score="10").items()
        if not key.startswith("sections-1-")
    }
    form.update({"sections-1-title": "", "sections-1-count": "", "sections-1-points": ""})
    assert post(client, "/examiner/blueprints/practice/edit", form).status_code == 302
    db_session.expire_all()
    assert len(db_session.get(BlueprintRow, "practice").definition["sections"]) == 1


# ---- the live check -----------------------------------------------------------------------


def check(client, form: dict):
    response = post(client, "/examiner/blueprints/check", form)
    assert response.status_code == 200 and response.is_json
    return response.get_json()


def test_check_names_the_shortfall_of_an_infeasible_quota_and_saves_nothing(
    app, client, db_session, examiner
):
    form = blueprint_form(
        **{
            "sections-0-count": "300",
            "sections-0-topics-0-number": "296",
            "sections-0-difficulty-easy": "",
            "sections-0-difficulty-medium": "",
            "sections-0-difficulty-hard": "",
        }
    )
    events = count(db_session, AuditEvent)

    result = check(client, form)

    assert result["valid"] is True and result["feasible"] is False
    assert result["problems"] == []
    pool = blueprints.question_pool(db_session)
    available = sum(
        1 for q in pool if q.type == "single" and q.topic == "宪法" and q.status == "approved"
    )
    with app.test_request_context():
        expected = describe_shortfall(Shortfall("单项选择题", ("宪法",), (), 296, available))
    assert expected in result["shortfalls"]
    assert db_session.get(BlueprintRow, "web-made") is None
    assert count(db_session, AuditEvent) == events


def test_check_of_a_feasible_blueprint(client, examiner):
    result = check(client, blueprint_form())
    assert (result["valid"], result["feasible"], result["shortfalls"]) == (True, True, [])
    assert "15" in result["summary"] and "27.5" in result["summary"]


def test_check_returns_each_problem_with_the_input_it_is_about(app, client, examiner):
    result = check(client, blueprint_form(title="", **{"sections-0-count": "0"}))
    assert result["valid"] is False and result["feasible"] is False
    with app.test_request_context():
        assert {"field": "title", "message": message_for("missing_field", {"field": "title"})} in (
            result["problems"]
        )
        assert {
            "field": "sections-0-count",
            "message": message_for("bad_count", {"value": 0, "limit": 500}),
        } in result["problems"]


def test_editor_page_loads_its_script_and_no_inline_one(client, examiner):
    page = client.get("/examiner/blueprints/new").get_data(as_text=True)
    assert 'src="/static/js/blueprint_editor.js"' in page
    for tag in page.split("<script")[1:]:
        assert tag.lstrip().startswith("src=")
    assert 'data-check-url="/examiner/blueprints/check?new=1"' in page
    assert 'id="section-template"' in page and "sections-__S__-title" in page
    assert "sections-__S__-topics-__T__-name" in page


def test_check_while_creating_names_an_id_already_used(app, client, examiner):
    response = post(
        client, "/examiner/blueprints/check?new=1", blueprint_form(blueprint_id="practice")
    )
    result = response.get_json()
    assert result["valid"] is False
    with app.test_request_context():
        taken = gettext("The id %(id)s is already used by another blueprint.", id="practice")
    assert result["problems"] == [{"field": "blueprint_id", "message": taken}]
    # Editing practice itself is no such problem.
    assert check(client, blueprint_form(blueprint_id="practice"))["valid"] is True
