"""The law registry and the amendment watch, end to end through the examiner pages."""

from __future__ import annotations

import html as html_lib
import re

import pytest
from sqlalchemy import select

from app.messages import message_for
from app.models import AuditEvent, Law, Question, QuestionVersion
from tests.functional.test_examiner_support import (
    load_starter,
    load_tiny,
    post,
    question_form,
    question_links,
    sign_in_examiner,
)


@pytest.fixture
def examiner(client):
    return sign_in_examiner(client)


def text_of(response) -> str:
    return response.get_data(as_text=True)


def approved_citing(session, law_id: str) -> set[str]:
    return set(
        session.scalars(
            select(Question.id)
            .join(QuestionVersion, Question.current_version_id == QuestionVersion.id)
            .where(QuestionVersion.law_id == law_id, Question.status == "approved")
        )
    )


def test_amendment_flow_end_to_end(app, client, db_session, examiner):
    load_starter(db_session)
    app.config["PAGE_SIZE"] = 1000
    citing = approved_citing(db_session, "xingzheng-chufa")
    assert len(citing) > 2
    assert "xingzheng-chufa" in text_of(client.get("/examiner/laws"))

    marked = post(
        client,
        "/examiner/laws",
        {
            "law_id": "xingzheng-chufa",
            "status": "amended",
            "new_id": "xingzheng-chufa-2026",
            "new_title": "",
            "new_version": "2026修正",
            "new_effective": "2026-07-01",
        },
        follow_redirects=True,
    )

    assert marked.status_code == 200
    (notice,) = re.findall(
        r'<div class="alert alert-success" role="alert">(.*?)</div>', text_of(marked)
    )
    assert re.search(rf"(?<!\d){len(citing)}(?!\d)", notice)  # how many were sent to review
    db_session.expire_all()
    old_law = db_session.get(Law, "xingzheng-chufa")
    assert (old_law.status, old_law.replaced_by) == ("amended", "xingzheng-chufa-2026")
    new_law = db_session.get(Law, "xingzheng-chufa-2026")
    assert (new_law.title, new_law.status) == ("中华人民共和国行政处罚法", "in_force")
    statuses = {
        q.status for q in db_session.scalars(select(Question).where(Question.id.in_(citing)))
    }
    assert statuses == {"needs_review"}
    queue = text_of(client.get("/examiner/review"))
    assert question_links(queue) == citing
    assert "2026修正" in queue  # the law now in force is named
    flagged = question_links(text_of(client.get("/examiner/questions?status=needs_review")))
    assert flagged == citing

    first, second, *_ = sorted(citing)
    reapproved = post(
        client, f"/examiner/questions/{first}/reapprove", {"next": "/examiner/review"}
    )
    assert reapproved.headers["Location"] == "/examiner/review"

    edit_page = text_of(client.get(f"/examiner/questions/{second}/edit"))
    assert 'value="xingzheng-chufa-2026"' in edit_page
    version = db_session.get(Question, second).current
    form = question_form(
        question_id=None,
        qtype=version.type,
        topic=version.topic,
        difficulty=str(version.difficulty),
        stem=version.stem,
        law="xingzheng-chufa-2026",
        article=version.article,
        explanation=version.explanation,
        tags=" ".join(version.tags),
        option_a=None,
        option_b=None,
        option_c=None,
        answer_keys=None,
    )
    for key, text in version.options:
        form[f"option_{key.lower()}"] = text
    if isinstance(version.answer, bool):
        form["answer_judge"] = "true" if version.answer else "false"
    else:
        form["answer_keys"] = version.answer
    assert post(client, f"/examiner/questions/{second}/edit", form).status_code == 302

    db_session.expire_all()
    for question_id in (first, second):
        question = db_session.get(Question, question_id)
        assert question.status == "approved"
        assert question.review_reason == ""
        assert question.current.law_id == "xingzheng-chufa-2026"
        assert [v.law_id for v in question.versions] == ["xingzheng-chufa", "xingzheng-chufa-2026"]
    assert question_links(text_of(client.get("/examiner/review"))) == citing - {first, second}
    event = db_session.scalar(select(AuditEvent).where(AuditEvent.action == "question.reapprove"))
    assert event.object_id == first
    assert (event.detail["from_law"], event.detail["law"]) == (
        "xingzheng-chufa",
        "xingzheng-chufa-2026",
    )
    assert db_session.scalar(select(AuditEvent).where(AuditEvent.action == "law.amended"))


def test_a_repealed_law_without_successor_cannot_be_reapproved(
    app, client, db_session, tmp_path, examiner
):
    load_tiny(db_session, tmp_path)
    post(client, "/examiner/laws", {"law_id": "ceshi-fa", "status": "repealed"})
    db_session.expire_all()
    assert db_session.get(Question, "ceshi-0001").status == "needs_review"

    response = post(client, "/examiner/questions/ceshi-0001/reapprove", follow_redirects=True)

    with app.test_request_context():
        expected = message_for("law_not_in_force", {"law": "测试法（2020修正）"})
    assert expected in html_lib.unescape(text_of(response))
    db_session.expire_all()
    assert db_session.get(Question, "ceshi-0001").status == "needs_review"
    # retiring takes it out of the queue too
    post(client, "/examiner/questions/ceshi-0001/retire")
    assert "ceshi-0001" not in question_links(text_of(client.get("/examiner/review")))


def test_drafts_citing_an_amended_law_stay_drafts(client, db_session, tmp_path, examiner):
    load_tiny(db_session, tmp_path)
    assert post(client, "/examiner/questions/new", question_form(status="draft")).status_code == 302
    post(client, "/examiner/laws", {"law_id": "ceshi-fa", "status": "amended"})
    db_session.expire_all()
    assert db_session.get(Question, "ceshi-0100").status == "draft"
    assert db_session.get(Question, "ceshi-0002").status == "needs_review"


def test_law_form_needs_the_whole_new_version(app, client, db_session, tmp_path, examiner):
    load_tiny(db_session, tmp_path)
    response = post(
        client,
        "/examiner/laws",
        {"law_id": "ceshi-fa", "status": "amended", "new_id": "ceshi-fa-2"},
    )
    assert response.status_code == 200
    assert text_of(response).count('class="invalid-feedback"') == 2  # version, effective date
    db_session.expire_all()
    assert db_session.get(Law, "ceshi-fa").status == "in_force"

    taken = post(
        client,
        "/examiner/laws",
        {
            "law_id": "ceshi-fa",
            "status": "amended",
            "new_id": "jiu-fa",
            "new_version": "2030",
            "new_effective": "2030-01-01",
        },
    )
    with app.test_request_context():
        assert message_for("law_exists", {"law_id": "jiu-fa"}) in html_lib.unescape(text_of(taken))
    db_session.expire_all()
    assert db_session.get(Law, "ceshi-fa").status == "in_force"
    assert db_session.get(Question, "ceshi-0001").status == "approved"
