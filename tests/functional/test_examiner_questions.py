"""Examiner question pages: list, search, a question and its versions, create, edit, approve."""

from __future__ import annotations

import html as html_lib

import pytest
from sqlalchemy import func, select

from app.messages import message_for
from app.models import AuditEvent, Question, QuestionVersion
from tests.functional.test_examiner_support import (
    TINY_IDS,
    TRICKY_STEM,
    load_starter,
    load_tiny,
    post,
    question_form,
    question_links,
    sign_in_examiner,
    starter_bank,
)


def text_of(response) -> str:
    return response.get_data(as_text=True)


@pytest.fixture
def examiner(client):
    return sign_in_examiner(client)


# ---- list, filters, search ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "keep"),
    [
        ({"topic": "宪法"}, lambda q: q.content.topic == "宪法"),
        ({"qtype": "judge"}, lambda q: q.content.type == "judge"),
        ({"law": "baomifa"}, lambda q: q.content.law == "baomifa"),
        ({"difficulty": "5"}, lambda q: q.content.difficulty == 5),
        ({"tag": "总纲"}, lambda q: "总纲" in q.content.tags),
        (
            {"topic": "行政处罚法", "qtype": "multiple", "difficulty": "3"},
            lambda q: (
                (q.content.topic, q.content.type, q.content.difficulty)
                == ("行政处罚法", "multiple", 3)
            ),
        ),
    ],
    ids=["topic", "type", "law", "difficulty", "tag", "combined"],
)
def test_list_filters_show_exactly_the_matching_questions(
    app, client, db_session, examiner, query, keep
):
    load_starter(db_session)
    app.config["PAGE_SIZE"] = 1000
    expected = {q.id for q in starter_bank().questions if keep(q)}
    assert expected

    response = client.get("/examiner/questions", query_string=query)

    assert response.status_code == 200
    assert question_links(text_of(response)) == expected


def test_status_filter_and_search_over_every_text_field(
    app, client, db_session, tmp_path, examiner
):
    load_tiny(db_session, tmp_path)
    db_session.get(Question, "ceshi-0003").status = "draft"
    db_session.commit()

    def found(**query: str) -> set[str]:
        return question_links(text_of(client.get("/examiner/questions", query_string=query)))

    assert found(status="draft") == {"ceshi-0003"}
    assert found(status="approved") == {"ceshi-0001", "ceshi-0002"}
    assert found(q="独一无二") == {"ceshi-0002"}  # an option's text only
    assert found(q="只在解析") == {"ceshi-0002"}  # the explanation only
    assert found(q="第九十九条") == {"ceshi-0002"}  # the article only
    assert found(q="CESHI-0003") == {"ceshi-0003"}  # the id, any case
    assert found(q="<script>") == {"ceshi-0001"}  # the stem, markup read as text
    assert found(q="测试 施行") == {"ceshi-0003"}  # every word must occur
    assert found(q="100%") == set()  # wildcards are plain characters
    assert found(q="_") == set()
    assert found(q="选项", tag="总则") == {"ceshi-0001", "ceshi-0002"}


def test_list_is_paginated(app, client, db_session, examiner):
    load_starter(db_session)
    app.config["PAGE_SIZE"] = 20
    first = question_links(text_of(client.get("/examiner/questions?topic=宪法")))
    second = question_links(text_of(client.get("/examiner/questions?topic=宪法&page=2")))
    assert len(first) == 20 and len(second) == 20
    assert not first & second
    assert "page=2" in text_of(client.get("/examiner/questions?topic=宪法"))


# ---- text shown exactly and escaped -------------------------------------------------------


def assert_escaped(page: str) -> None:
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&amp;" in page
    assert "<b>粗体</b>" not in page and "<i>斜体</i>" not in page


def test_tricky_text_is_escaped_on_list_detail_diff_and_review(
    client, db_session, tmp_path, examiner
):
    load_tiny(db_session, tmp_path)
    edited = post(
        client,
        "/examiner/questions/ceshi-0001/edit",
        question_form(
            question_id=None,
            stem=TRICKY_STEM.replace("第二行", "第二行 <img src=x onerror=alert(2)> &amp;"),
            option_a="<b>粗体</b> & 选项",
            option_b="普通选项",
            option_c=None,
            answer_keys=["A"],
            article="第一条",
            explanation="解析 <i>斜体</i> & 说明",
        ),
    )
    assert edited.status_code == 302
    db_session.get(Question, "ceshi-0001").status = "needs_review"
    db_session.commit()

    pages = {
        "list": client.get("/examiner/questions?q=script"),
        "detail": client.get("/examiner/questions/ceshi-0001"),
        "diff": client.get("/examiner/questions/ceshi-0001/diff?a=1&b=2"),
        "review": client.get("/examiner/review"),
    }
    for name, response in pages.items():
        assert response.status_code == 200, name
        assert_escaped(text_of(response))
    assert "<img src=x" not in text_of(pages["diff"])
    assert "&lt;img src=x onerror=alert(2)&gt; &amp;amp;" in text_of(pages["diff"])


def test_multiline_stem_keeps_its_line_breaks(client, db_session, tmp_path, examiner):
    load_tiny(db_session, tmp_path)
    page = text_of(client.get("/examiner/questions/ceshi-0001"))
    stem = html_lib.escape(TRICKY_STEM, quote=False).replace('"', "&#34;")
    assert f'<div class="stem text-block mb-3">{stem}</div>' in page
    assert "\n第二行" in page


# ---- create --------------------------------------------------------------------------------


def test_create_shows_every_validation_error_beside_its_field(
    app, client, db_session, tmp_path, examiner
):
    load_tiny(db_session, tmp_path)
    response = post(
        client,
        "/examiner/questions/new",
        question_form(
            question_id="Bad ID",
            stem="   ",
            option_b="",
            option_c="丙",
            answer_keys=["A", "C"],
            law="",
            article="",
            tags="",
        ),
    )
    assert response.status_code == 200
    page = html_lib.unescape(text_of(response))
    with app.test_request_context():
        expected = [
            message_for("bad_id"),
            message_for("empty_text", {"field": "stem"}),
            message_for("option_keys", {"keys": "A, C", "expected": "A, B"}),
            message_for("single_answer", {"value": "A, C"}),
            message_for("citation_required", {"field": "law"}),
            message_for("citation_required", {"field": "article"}),
        ]
    for message in expected:
        assert message in page
    # each beside its own input
    assert page.index(expected[0]) > page.index('name="question_id"')
    assert page.index(expected[1]) > page.index('name="stem"') > page.index(expected[0])
    assert page.index(expected[4]) > page.index('name="law"')
    assert page.index(expected[5]) > page.index('name="article"')
    assert 'id="stem" name="stem" rows="4">' in text_of(response)  # the input is kept
    assert db_session.scalar(select(func.count()).select_from(Question)) == len(TINY_IDS)


def test_create_refuses_a_taken_id_and_an_unknown_law(app, client, db_session, tmp_path, examiner):
    load_tiny(db_session, tmp_path)
    response = post(
        client, "/examiner/questions/new", question_form(question_id="ceshi-0001", law="nope")
    )
    page = html_lib.unescape(text_of(response))
    with app.test_request_context():
        assert message_for("question_exists", {"question_id": "ceshi-0001"}) in page
        assert message_for("unknown_law", {"law": "nope", "suggestion": "—"}) in page


def test_create_keeps_text_exactly_and_makes_version_1_with_an_audit_event(
    client, db_session, tmp_path, examiner
):
    load_tiny(db_session, tmp_path)
    stem = '  第一行 <b>不是粗体</b> & "引号"\r\n第二行（　　）。'
    response = post(client, "/examiner/questions/new", question_form(stem=stem))

    assert response.status_code == 302
    assert response.headers["Location"] == "/examiner/questions/ceshi-0100"
    question = db_session.get(Question, "ceshi-0100")
    assert question.status == "approved"
    (version,) = question.versions
    assert version.number == 1
    assert version.stem == '  第一行 <b>不是粗体</b> & "引号"\n第二行（　　）。'
    assert version.options == [["A", "甲"], ["B", "乙"], ["C", "丙"]]
    assert version.answer == ["B"]
    assert version.tags == ["总则", "新增"]
    assert version.created_by_id == examiner.id
    event = db_session.scalar(select(AuditEvent).where(AuditEvent.action == "question.create"))
    assert (event.object_id, event.actor_id) == ("ceshi-0100", examiner.id)


def test_create_judge_and_multiple_questions(client, db_session, tmp_path, examiner):
    load_tiny(db_session, tmp_path)
    judge = question_form(
        question_id="ceshi-0101",
        qtype="judge",
        option_a=None,
        option_b=None,
        option_c=None,
        answer_keys=None,
        answer_judge="false",
    )
    multiple = question_form(question_id="ceshi-0102", qtype="multiple", answer_keys=["A", "C"])
    assert post(client, "/examiner/questions/new", judge).status_code == 302
    assert post(client, "/examiner/questions/new", multiple).status_code == 302
    assert db_session.get(Question, "ceshi-0101").current.answer is False
    assert db_session.get(Question, "ceshi-0101").current.options == []
    assert db_session.get(Question, "ceshi-0102").current.answer == ["A", "C"]


# ---- edit and versions ---------------------------------------------------------------------


def test_edit_makes_version_2_and_leaves_version_1_unchanged(
    client, db_session, tmp_path, examiner
):
    load_tiny(db_session, tmp_path)
    before = db_session.get(Question, "ceshi-0002").current
    v1 = {
        column: getattr(before, column) for column in ("stem", "options", "answer", "content_hash")
    }

    form = client.get("/examiner/questions/ceshi-0002/edit")
    assert form.status_code == 200
    assert "独一无二的选项文字" in text_of(form)
    response = post(
        client,
        "/examiner/questions/ceshi-0002/edit",
        question_form(
            question_id=None,
            qtype="multiple",
            stem="下列属于测试原则的有（　　）。\n（修改后）",
            option_a="独一无二的选项文字",
            option_b="公开",
            option_c="公平",
            answer_keys=["B", "C"],
            article="第九十九条",
        ),
    )
    assert response.status_code == 302
    db_session.expire_all()
    question = db_session.get(Question, "ceshi-0002")
    assert [v.number for v in question.versions] == [1, 2]
    assert question.current.number == 2
    assert question.current.options[2] == ["C", "公平"]
    old = question.versions[0]
    assert {column: getattr(old, column) for column in v1} == v1
    event = db_session.scalar(select(AuditEvent).where(AuditEvent.action == "question.edit"))
    assert event.object_id == "ceshi-0002"
    assert (event.detail["from_version"], event.detail["version"]) == (1, 2)

    detail = text_of(client.get("/examiner/questions/ceshi-0002"))
    assert "/examiner/questions/ceshi-0002/diff?a=1&amp;b=2" in detail
    diff = text_of(client.get("/examiner/questions/ceshi-0002/diff?a=1&b=2"))
    assert "<mark>正</mark>" in diff and "<mark>平</mark>" in diff  # the changed character
    assert "（修改后）" in diff
    assert client.get("/examiner/questions/ceshi-0002/diff?a=1&b=9").status_code == 404


def test_saving_unchanged_content_adds_no_version(client, db_session, tmp_path, examiner):
    load_tiny(db_session, tmp_path)
    form = question_form(
        question_id=None,
        qtype="judge",
        stem="测试法自2020年1月1日起施行。",
        option_a=None,
        option_b=None,
        option_c=None,
        answer_keys=None,
        answer_judge="true",
        difficulty="1",
        article="第一百条",
        explanation="",
        tags="附则",
        topic="测试",
    )
    assert post(client, "/examiner/questions/ceshi-0003/edit", form).status_code == 302
    db_session.expire_all()
    assert len(db_session.get(Question, "ceshi-0003").versions) == 1
    assert (
        db_session.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "question.edit")
        )
        == 0
    )


def test_edit_of_an_unknown_question_is_404(client, examiner):
    assert client.get("/examiner/questions/nope/edit").status_code == 404
    assert client.get("/examiner/questions/nope").status_code == 404
    assert post(client, "/examiner/questions/nope/approve").status_code == 404


# ---- approve and retire --------------------------------------------------------------------


def test_approve_is_refused_without_a_citation(app, client, db_session, tmp_path, examiner):
    load_tiny(db_session, tmp_path)
    draft = question_form(status="draft", law="", article="")
    assert post(client, "/examiner/questions/new", draft).status_code == 302

    response = post(client, "/examiner/questions/ceshi-0100/approve", follow_redirects=True)

    with app.test_request_context():
        assert message_for("citation_missing") in html_lib.unescape(text_of(response))
    db_session.expire_all()
    assert db_session.get(Question, "ceshi-0100").status == "draft"


def test_approve_is_refused_for_a_law_not_in_force(app, client, db_session, tmp_path, examiner):
    load_tiny(db_session, tmp_path)
    draft = question_form(status="draft", law="jiu-fa")
    assert post(client, "/examiner/questions/new", draft).status_code == 302
    response = post(client, "/examiner/questions/ceshi-0100/approve", follow_redirects=True)
    with app.test_request_context():
        expected = message_for("law_not_in_force", {"law": "旧法（2010）"})
    assert expected in html_lib.unescape(text_of(response))
    db_session.expire_all()
    assert db_session.get(Question, "ceshi-0100").status == "draft"
    # saving it as approved is refused the same way, beside the law field
    refused = post(client, "/examiner/questions/ceshi-0100/edit", question_form(law="jiu-fa"))
    assert expected in html_lib.unescape(text_of(refused))


def test_approve_then_retire(client, db_session, tmp_path, examiner):
    load_tiny(db_session, tmp_path)
    assert post(client, "/examiner/questions/new", question_form(status="draft")).status_code == 302

    approved = post(client, "/examiner/questions/ceshi-0100/approve")
    assert approved.headers["Location"] == "/examiner/questions/ceshi-0100"
    db_session.expire_all()
    assert db_session.get(Question, "ceshi-0100").status == "approved"

    post(client, "/examiner/questions/ceshi-0100/retire")
    db_session.expire_all()
    assert db_session.get(Question, "ceshi-0100").status == "retired"
    actions = set(db_session.scalars(select(AuditEvent.action)))
    assert {"question.create", "question.approve", "question.retire"} <= actions
    # the retired question keeps its version and leaves the approved list
    assert (
        db_session.scalar(
            select(func.count())
            .select_from(QuestionVersion)
            .where(QuestionVersion.question_id == "ceshi-0100")
        )
        == 1
    )
    listed = question_links(text_of(client.get("/examiner/questions?status=approved")))
    assert "ceshi-0100" not in listed


def test_approving_an_approved_question_is_refused_with_a_message(
    app, client, db_session, tmp_path, examiner
):
    load_tiny(db_session, tmp_path)
    response = post(client, "/examiner/questions/ceshi-0001/approve", follow_redirects=True)
    with app.test_request_context():
        assert message_for("cannot_approve") in html_lib.unescape(text_of(response))
    response = post(client, "/examiner/questions/ceshi-0001/reapprove", follow_redirects=True)
    with app.test_request_context():
        assert message_for("not_in_review") in html_lib.unescape(text_of(response))


def test_home_shows_bank_counts_and_the_review_queue(client, db_session, tmp_path, examiner):
    load_tiny(db_session, tmp_path)
    db_session.get(Question, "ceshi-0003").status = "needs_review"
    db_session.commit()
    page = text_of(client.get("/examiner/"))
    assert 'href="/examiner/review">1</a>' in page
    assert 'href="/examiner/questions">3</a>' in page
    assert "测试法" in page  # the laws table stays


def test_an_edit_from_an_old_version_does_not_undo_a_newer_one(
    app, client, db_session, tmp_path, examiner
):
    load_tiny(db_session, tmp_path)
    form_page = text_of(client.get("/examiner/questions/ceshi-0001/edit"))
    assert 'id="base_version" name="base_version" type="hidden" value="1"' in form_page
    mine = question_form(question_id=None, stem="我的修改", article="第一条", base_version="1")
    theirs = question_form(question_id=None, stem="别人的修改", article="第一条", base_version="1")
    assert post(client, "/examiner/questions/ceshi-0001/edit", theirs).status_code == 302

    response = post(client, "/examiner/questions/ceshi-0001/edit", mine)

    assert response.status_code == 200
    with app.test_request_context():
        expected = message_for(
            "question_changed_meanwhile", {"question_id": "ceshi-0001", "version": 2}
        )
    assert expected in html_lib.unescape(text_of(response))
    assert "我的修改" in text_of(response)  # the typed text is kept for another try
    db_session.expire_all()
    assert db_session.get(Question, "ceshi-0001").current.stem == "别人的修改"
