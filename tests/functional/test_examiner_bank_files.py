"""Bank files on the examiner pages: upload with a dry-run preview, confirm; download."""

from __future__ import annotations

import csv
import html as html_lib
import io
import re
import struct
import zipfile

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from app.domain import bank as core
from app.domain import sheets
from app.messages import message_for
from app.models import AuditEvent, Law, Question, QuestionVersion
from app.services import bank_upload
from tests.functional.test_examiner_support import (
    TINY_IDS,
    TINY_LAWS,
    TINY_TOPIC,
    load_starter,
    load_tiny,
    post,
    sign_in_examiner,
)

TOKEN_FIELD = re.compile(r'id="token" name="token" type="hidden" value="([^"]+)"')


@pytest.fixture
def examiner(client):
    return sign_in_examiner(client)


def text_of(response) -> str:
    return html_lib.unescape(response.get_data(as_text=True))


def count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


def upload(client, content: bytes, filename: str, **fields: str):
    return post(
        client,
        "/examiner/bank/upload",
        {"file": (io.BytesIO(content), filename), **fields},
        content_type="multipart/form-data",
    )


def confirm(client, preview_page: str):
    form = {
        name: value
        for name, value in re.findall(
            r'<input id="(?:token|topic|id_prefix|mapping)" name="(\w+)" type="hidden" '
            r'value="([^"]*)"',
            preview_page,
        )
    }
    assert form.get("token"), "the preview carries the upload token"
    return post(client, "/examiner/bank/upload/confirm", form)


def zip_of(files: dict[str, str | bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return buffer.getvalue()


# ---- upload, preview, confirm --------------------------------------------------------------


def test_preview_changes_nothing_then_confirm_imports(client, db_session, examiner):
    preview = upload(client, zip_of({"laws.yaml": TINY_LAWS, "ceshi.yaml": TINY_TOPIC}), "题库.zip")

    assert preview.status_code == 200
    page = text_of(preview)
    for question_id in TINY_IDS:
        assert question_id in page
    assert count(db_session, Question) == 0
    assert count(db_session, Law) == 0
    imports = select(func.count()).where(AuditEvent.action == "bank.import")
    assert db_session.scalar(imports) == 0  # the dry run's event was rolled back too

    done = confirm(client, preview.get_data(as_text=True))

    assert done.status_code == 200
    assert set(db_session.scalars(select(Question.id))) == TINY_IDS
    assert set(db_session.scalars(select(Law.id))) == {"ceshi-fa", "jiu-fa"}
    event = db_session.scalar(select(AuditEvent).where(AuditEvent.action == "bank.import"))
    assert (event.actor_id, event.object_id) == (examiner.id, "题库.zip")
    assert event.detail["added"] == 3 and event.detail["dry_run"] is False
    again = confirm(client, preview.get_data(as_text=True))  # an upload is used once
    assert again.status_code == 302


def test_a_topic_file_is_checked_against_the_laws_in_the_database(
    client, db_session, tmp_path, examiner
):
    load_tiny(db_session, tmp_path)
    changed = TINY_TOPIC.replace("第二行，全角标点", "第二行，改过的全角标点").replace(
        "  - id: ceshi-0003",
        "  - id: ceshi-0004\n    type: judge\n    stem: 新的判断题。\n"
        "    answer: false\n    law: ceshi-fa\n    article: 第三条\n\n  - id: ceshi-0003",
    )
    preview = upload(client, changed.encode(), "ceshi.yaml")
    page = text_of(preview)
    assert "ceshi-0004" in page and "ceshi-0001" in page
    db_session.expire_all()
    assert db_session.get(Question, "ceshi-0004") is None
    assert len(db_session.get(Question, "ceshi-0001").versions) == 1

    confirm(client, preview.get_data(as_text=True))
    db_session.expire_all()
    assert db_session.get(Question, "ceshi-0004").current.answer is False
    assert [v.number for v in db_session.get(Question, "ceshi-0001").versions] == [1, 2]


def test_broken_yaml_lists_every_error_with_file_and_line_and_imports_nothing(
    app, client, db_session, tmp_path, examiner
):
    load_tiny(db_session, tmp_path)
    broken = TINY_TOPIC.replace("difficulty: 4", "difficulty: 9").replace(
        "law: ceshi-fa\n    article: 第一百条", "law: nope\n    article: 第一百条"
    )
    lines = broken.splitlines()
    difficulty_line = lines.index("    difficulty: 9") + 1
    law_line = lines.index("    law: nope") + 1

    response = upload(client, broken.encode(), "broken.yaml")

    page = text_of(response)
    with app.test_request_context():
        expected = [
            f"broken.yaml:{difficulty_line}: ceshi-0002: "
            + message_for("bad_difficulty", {"value": "9"}),
            f"broken.yaml:{law_line}: ceshi-0003: "
            + message_for("unknown_law", {"law": "nope", "suggestion": "—"}),
        ]
    for line in expected:
        assert line in page
    assert 'name="token"' not in page
    db_session.expire_all()
    assert count(db_session, QuestionVersion) == len(TINY_IDS)


def test_yaml_syntax_errors_name_the_line(app, client, db_session, examiner):
    response = upload(client, b"topic: x\nquestions:\n  - id: [unclosed\n", "bad.yaml")
    assert re.search(r"bad\.yaml:\d+: ", text_of(response))
    assert count(db_session, Question) == 0


def test_zip_bomb_is_refused_with_a_clear_message(app, client, db_session, examiner):
    bomb = zip_of({"laws.yaml": b"\0" * (bank_upload.MAX_ZIP_UNPACKED_BYTES + 1)})
    assert len(bomb) < 1024 * 1024

    response = upload(client, bomb, "bomb.zip")

    with app.test_request_context():
        expected = message_for("zip_too_large", {"limit": 64})
    assert expected in text_of(response)
    assert count(db_session, Law) == 0


def test_zip_with_too_many_files_is_refused(app, client, db_session, examiner):
    crowd = zip_of({f"t{n}.yaml": "" for n in range(bank_upload.MAX_ZIP_FILES + 1)})
    response = upload(client, crowd, "crowd.zip")
    with app.test_request_context():
        assert message_for("zip_too_many_files", {"limit": 500}) in text_of(response)


def test_zip_whose_sizes_lie_is_refused(app, client, db_session, examiner):
    honest = zip_of({"laws.yaml": TINY_LAWS * 50})
    size = len((TINY_LAWS * 50).encode())
    # Claim a tiny uncompressed size in the local header and the central directory.
    lying = bytearray(honest)
    local = lying.index(b"PK\x03\x04")
    central = lying.index(b"PK\x01\x02")
    assert struct.unpack_from("<I", lying, local + 22)[0] == size
    struct.pack_into("<I", lying, local + 22, 10)
    struct.pack_into("<I", lying, central + 24, 10)

    response = upload(client, bytes(lying), "lying.zip")

    with app.test_request_context():
        assert message_for("broken_zip") in text_of(response)
    assert count(db_session, Law) == 0


def test_not_a_zip_and_wrong_types_are_refused(app, client, examiner):
    with app.test_request_context():
        broken = message_for("broken_zip")
    assert broken in text_of(upload(client, b"not a zip", "bank.zip"))
    refused = upload(client, b"hello", "notes.txt")
    assert refused.status_code == 200 and 'name="token"' not in text_of(refused)


def test_laws_yaml_marking_a_law_repealed_sends_its_questions_to_review(
    client, db_session, tmp_path, examiner
):
    load_tiny(db_session, tmp_path)
    repealed = TINY_LAWS.replace(
        "    effective: 2020-01-01\n", "    effective: 2020-01-01\n    status: repealed\n", 1
    )
    preview = upload(client, repealed.encode(), "laws.yaml")
    page = text_of(preview)
    for question_id in TINY_IDS:
        assert question_id in page  # listed as going to review
    db_session.expire_all()
    assert {q.status for q in db_session.scalars(select(Question))} == {"approved"}
    assert db_session.get(Law, "ceshi-fa").status == "in_force"

    confirm(client, preview.get_data(as_text=True))
    db_session.expire_all()
    assert db_session.get(Law, "ceshi-fa").status == "repealed"
    assert {q.status for q in db_session.scalars(select(Question))} == {"needs_review"}


def test_spreadsheet_upload_with_a_column_mapping(client, db_session, tmp_path, examiner):
    load_tiny(db_session, tmp_path)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["编号", "题型", "题目内容", "选项A", "选项B", "答案", "法律", "条款"])
    writer.writerow(
        ["biao-0001", "单选", "表格里的题干\n第二行", "对的", "错的", "A", "ceshi-fa", "第五条"]
    )
    content = buffer.getvalue().encode("utf-8-sig")

    unmapped = upload(client, content, "表格.csv")
    assert 'name="token"' not in text_of(unmapped)  # no stem column without the mapping

    preview = upload(client, content, "表格.csv", mapping="stem = 题目内容", topic="表格")
    assert "biao-0001" in text_of(preview)
    assert db_session.get(Question, "biao-0001") is None
    confirm(client, preview.get_data(as_text=True))
    db_session.expire_all()
    version = db_session.get(Question, "biao-0001").current
    assert (version.stem, version.topic) == ("表格里的题干\n第二行", "表格")


# ---- download ------------------------------------------------------------------------------


def test_zip_download_unpacks_to_a_bank_that_loads_cleanly(client, db_session, examiner):
    load_starter(db_session)

    response = client.get("/examiner/bank/export.zip")

    assert response.status_code == 200
    assert response.mimetype == "application/zip"
    assert "attachment" in response.headers["Content-Disposition"]
    with zipfile.ZipFile(io.BytesIO(response.data)) as archive:
        names = archive.namelist()
        # blueprints/ travel with the bank but are no question files
        files = [
            (name, archive.read(name).decode("utf-8"))
            for name in names
            if not name.startswith("blueprints/")
        ]
    assert "laws.yaml" in names and "xianfa.yaml" in names
    bank = core.load_bank(files)
    assert bank.errors == []
    assert len(bank.questions) == count(db_session, Question)
    # uploading the download changes nothing
    preview = text_of(upload(client, response.data, "bank.zip"))
    assert 'name="token"' in preview


def test_xlsx_download_has_a_row_per_question(client, db_session, tmp_path, examiner):
    load_tiny(db_session, tmp_path)

    response = client.get("/examiner/bank/export.xlsx")

    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(response.data), read_only=True)
    rows = list(workbook.worksheets[0].iter_rows(values_only=True))
    workbook.close()
    assert rows[0] == tuple(sheets.TEMPLATE_HEADERS)
    assert {row[0] for row in rows[1:]} == TINY_IDS
