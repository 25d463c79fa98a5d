"""Bombs: YAML that would expand or recurse without bound, and XLSX files that unpack to
hundreds of megabytes. Each is refused with a clear message, quickly and in bounded
memory, and nothing is imported: through `flask bank validate|import`, `flask roster
import`, the examiner's bank upload page and HR's roster upload page.

The zip bombs are built here by streaming zeros into a deflated zip entry, so nothing
of their unpacked size is ever held in memory or written to disk.
"""

from __future__ import annotations

import io
import re
import struct
import time
import tracemalloc
import zipfile
from html import unescape
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from app.db import Base
from app.domain.people import Role
from app.messages import message_for
from app.services import tables
from tests.conftest import Auth, csrf_token
from tests.factories import make_user

SHEET = "xl/worksheets/sheet1.xml"
MB = 1024 * 1024
BOMB_UNPACKED = 300 * MB
# A refusal must not read the bomb: a few seconds and a few MB at most.
SECONDS = 5
PEAK_BYTES = 32 * MB

LAWS = """\
laws:
  - id: bomb-fa
    title: 炸弹测试法
    version: "2020"
    effective: 2020-01-01
"""

BILLION_LAUGHS = (
    "topic: 炸弹\n"
    'a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]\n'
    + "".join(
        f"{name}: &{name} [{', '.join([f'*{previous}'] * 10)}]\n"
        for previous, name in zip("abcdefgh", "bcdefghi", strict=True)
    )
    + "questions: *i\n"
)
NESTED_FLOW = (
    "topic: 嵌套\nquestions:\n  - id: bomb-0001\n    type: judge\n    stem: "
    + "[" * 100
    + "]" * 100
    + "\n    answer: true\n    law: bomb-fa\n    article: 第一条\n"
)
NESTED_BLOCK = "topic: 嵌套\nquestions:\n" + "".join(
    "  " * (level + 1) + f"k{level}:\n" for level in range(100)
)
HUGE = "topic: 巨大\nquestions: []\n" + "# padding\n" * (9 * MB // 10)

YAML_BOMBS = [
    pytest.param(BILLION_LAUGHS, "yaml_alias", {}, 2, id="billion-laughs"),
    pytest.param(NESTED_FLOW, "yaml_too_deep", {"limit": 12}, 5, id="nesting-100-flow"),
    pytest.param(NESTED_BLOCK, "yaml_too_deep", {"limit": 12}, None, id="nesting-100-block"),
    pytest.param(HUGE, "file_too_large", {"limit": 8}, 1, id="9-MB-file"),
]


def count_rows(session) -> dict[str, int]:
    session.expire_all()
    return {
        table.name: session.scalar(select(func.count()).select_from(table))
        for table in Base.metadata.sorted_tables
    }


def expected_message(app, code: str, params: dict) -> str:
    with app.test_request_context():
        return message_for(code, params)


class Measured:
    """Wall time and peak traced memory of the block."""

    def __enter__(self) -> Measured:
        tracemalloc.start()
        self.started = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds = time.perf_counter() - self.started
        self.peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()


# ---- YAML bombs ---------------------------------------------------------------------------


def test_the_huge_file_is_over_the_limit_and_under_the_upload_limit(app):
    size = len(HUGE.encode())
    assert 8 * MB < size < app.config["MAX_CONTENT_LENGTH"]
    assert size >= 9 * MB - 16


@pytest.mark.parametrize(("text", "code", "params", "line"), YAML_BOMBS)
def test_yaml_bombs_are_refused_by_the_command_line(
    app, runner, db_session, tmp_path, text, code, params, line
):
    folder = tmp_path / "bank"
    folder.mkdir()
    (folder / "laws.yaml").write_text(LAWS, encoding="utf-8")
    bomb = folder / "bomb.yaml"
    bomb.write_text(text, encoding="utf-8")
    message = expected_message(app, code, params)
    before = count_rows(db_session)

    for command in (["bank", "validate", str(folder)], ["bank", "import", str(folder)]):
        with Measured() as measured:
            result = runner.invoke(args=command)
        assert result.exit_code == 1, (command, result.output)
        lines = result.output.splitlines()
        where = f"{bomb}:{line}: " if line else f"{bomb}:"
        assert any(item.startswith(where) and item.endswith(message) for item in lines), (
            command,
            result.output[:2000],
        )
        assert measured.seconds < SECONDS, (command, measured.seconds)
    assert count_rows(db_session) == before


def _sign_in(client, *roles: Role) -> None:
    user = make_user(*roles)
    assert Auth(client).login(user.username).status_code == 302


def _upload(client, path: str, content: bytes, filename: str):
    token = csrf_token(client, path)
    # The multipart body is built here: the test client would spool a big one to a
    # temporary file that it never closes.
    boundary = "bomb-boundary"
    body = (
        (
            f"--{boundary}\r\n"
            f'Content-Disposition: form-data; name="csrf_token"\r\n\r\n{token}\r\n'
            f"--{boundary}\r\n"
            f'Content-Disposition: form-data; name="file"; filename="{filename}"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        + content
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return client.post(path, data=body, content_type=f"multipart/form-data; boundary={boundary}")


@pytest.mark.parametrize(("text", "code", "params", "line"), YAML_BOMBS)
def test_yaml_bombs_are_refused_by_the_upload_page(
    app, client, db_session, text, code, params, line
):
    _sign_in(client, Role.EXAMINER)
    message = expected_message(app, code, params)
    before = count_rows(db_session)
    with Measured() as measured:
        response = _upload(client, "/examiner/bank/upload", text.encode(), "bomb.yaml")
    assert response.status_code == 200
    page = unescape(response.get_data(as_text=True))
    assert message in page
    place = str(line) if line else r"\d+"
    assert re.search(r"bomb\.yaml:" + place + ": ", page), page[:3000]
    assert 'name="token"' not in page  # no preview offered: nothing to confirm
    assert measured.seconds < SECONDS
    assert count_rows(db_session) == before


def test_a_zip_of_yaml_bombs_is_refused_whole(app, client, db_session):
    _sign_in(client, Role.EXAMINER)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("laws.yaml", LAWS)
        archive.writestr("laughs.yaml", BILLION_LAUGHS)
        archive.writestr("nested.yaml", NESTED_FLOW)
    before = count_rows(db_session)
    response = _upload(client, "/examiner/bank/upload", buffer.getvalue(), "bombs.zip")
    page = unescape(response.get_data(as_text=True))
    assert expected_message(app, "yaml_alias", {}) in page
    assert expected_message(app, "yaml_too_deep", {"limit": 12}) in page
    assert count_rows(db_session) == before


# ---- XLSX zip bombs -----------------------------------------------------------------------


def _workbook(rows: list[list[str]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _zeros(total: int, chunk: int = MB):
    block = b"0" * chunk
    while total > 0:
        yield block[: min(chunk, total)]
        total -= chunk


def zip_bomb(unpacked: int = BOMB_UNPACKED) -> bytes:
    """A real workbook whose first sheet's XML is `unpacked` bytes, mostly zeros,
    streamed into a deflated entry: the file is a few hundred KB."""
    source = zipfile.ZipFile(io.BytesIO(_workbook([["工号", "姓名"], ["1", "甲"]])))
    head = (
        b'<?xml version="1.0" encoding="UTF-8"?>'
        b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        b'<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>'
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for info in source.infolist():
            if info.filename != SHEET:
                archive.writestr(info.filename, source.read(info.filename))
                continue
            entry = zipfile.ZipInfo(SHEET, date_time=info.date_time)
            entry.compress_type = zipfile.ZIP_DEFLATED
            with archive.open(entry, "w") as sink:
                sink.write(head)
                for block in _zeros(unpacked - len(head)):
                    sink.write(block)
    return out.getvalue()


def lying_sizes(content: bytes, member: str, size: int) -> bytes:
    """The zip with `member`'s uncompressed size claimed to be `size` in both headers."""
    data = bytearray(content)
    name = member.encode()
    for signature, size_at, name_length_at, name_at in (
        (b"PK\x03\x04", 22, 26, 30),
        (b"PK\x01\x02", 24, 28, 46),
    ):
        start = 0
        while (start := data.find(signature, start)) >= 0:
            length = struct.unpack_from("<H", data, start + name_length_at)[0]
            if data[start + name_at : start + name_at + length] == name:
                struct.pack_into("<I", data, start + size_at, size)
            start += 4
    return bytes(data)


def damaged_sheet(kind: str) -> bytes:
    """A workbook whose sheet XML breaks after many good rows (only reading finds it)."""
    source = zipfile.ZipFile(io.BytesIO(_workbook([[str(n), "名字"] for n in range(2000)])))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == SHEET:
                cut = data.index(b'<row r="1500"')
                data = {
                    "garbage": data[:cut] + b"<row <<<>>> &bogus;" + data[cut:],
                    "truncated": data[:cut],
                    "bad-number": data[:cut]
                    + b'<row r="1500"><c r="A1500" t="n"><v>abc</v></c></row>'
                    + data[cut:],
                }[kind]
            archive.writestr(info.filename, data)
    return out.getvalue()


@pytest.fixture(scope="module")
def bomb() -> bytes:
    content = zip_bomb()
    assert len(content) < 2 * MB  # 300 MB of sheet in a small upload
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        assert archive.getinfo(SHEET).file_size == BOMB_UNPACKED
    return content


def test_the_reader_refuses_the_bomb_without_unpacking_it(bomb):
    with Measured() as measured, pytest.raises(tables.InvalidInput) as refused:
        tables.read_table("bomb.xlsx", bomb)
    assert refused.value.code == "xlsx_too_large"
    assert measured.seconds < 1
    assert measured.peak < PEAK_BYTES


def test_a_bomb_under_the_absolute_limit_is_refused_by_its_ratio():
    content = zip_bomb(100 * MB)
    assert 100 * MB < tables.MAX_XLSX_UNPACKED_BYTES
    with pytest.raises(tables.InvalidInput) as refused:
        tables.read_table("ratio.xlsx", content)
    assert refused.value.code == "xlsx_too_large"


@pytest.mark.parametrize("claimed", [2_000, 150_000, 20 * MB])
def test_a_bomb_that_lies_about_its_size_is_refused_as_broken(bomb, claimed):
    lying = lying_sizes(bomb, SHEET, claimed)
    with Measured() as measured, pytest.raises(tables.InvalidInput) as refused:
        tables.read_table("lying.xlsx", lying)
    assert refused.value.code == "broken_xlsx"
    # Reading stops at the size claimed: never the 300 MB the entry really holds.
    assert measured.peak < claimed + PEAK_BYTES
    assert measured.seconds < SECONDS


@pytest.mark.parametrize("kind", ["garbage", "truncated", "bad-number"])
def test_a_sheet_damaged_past_its_first_rows_is_refused_as_broken(kind):
    with pytest.raises(tables.InvalidInput) as refused:
        tables.read_table("damaged.xlsx", damaged_sheet(kind))
    assert refused.value.code == "broken_xlsx"


UPLOADS = [
    pytest.param("/hr/roster/import", (Role.HR,), "名册.xlsx", id="roster"),
    pytest.param("/examiner/bank/upload", (Role.EXAMINER,), "题库.xlsx", id="question-sheet"),
]


@pytest.mark.parametrize(("path", "roles", "filename"), UPLOADS)
def test_the_bomb_uploaded_is_refused_quickly_with_a_clear_message(
    app, client, db_session, bomb, path, roles, filename
):
    _sign_in(client, *roles)
    before = count_rows(db_session)
    with Measured() as measured:
        response = _upload(client, path, bomb, filename)
    assert response.status_code in (200, 400, 413, 422), response.status_code
    page = unescape(response.get_data(as_text=True))
    assert expected_message(app, "xlsx_too_large", {}) in page
    assert 'name="token"' not in page  # no preview to confirm
    assert measured.seconds < SECONDS
    assert measured.peak < PEAK_BYTES + len(bomb) * 8
    assert count_rows(db_session) == before


@pytest.mark.parametrize(("path", "roles", "filename"), UPLOADS)
@pytest.mark.parametrize("damage", ["lying", "garbage", "bad-number"])
def test_a_broken_workbook_uploaded_is_refused_not_a_500(
    app, client, db_session, bomb, path, roles, filename, damage
):
    _sign_in(client, *roles)
    content = lying_sizes(bomb, SHEET, 150_000) if damage == "lying" else damaged_sheet(damage)
    before = count_rows(db_session)
    response = _upload(client, path, content, filename)
    assert response.status_code < 500, response.status_code
    page = unescape(response.get_data(as_text=True))
    assert expected_message(app, "broken_xlsx", {}) in page
    assert count_rows(db_session) == before


def test_the_command_line_refuses_the_bombs(app, runner, db_session, bomb, tmp_path):
    files = {
        "bomb.xlsx": bomb,
        "lying.xlsx": lying_sizes(bomb, SHEET, 150_000),
        "damaged.xlsx": damaged_sheet("garbage"),
    }
    before = count_rows(db_session)
    for name, content in files.items():
        path: Path = tmp_path / name
        path.write_bytes(content)
        code = "xlsx_too_large" if name == "bomb.xlsx" else "broken_xlsx"
        message = expected_message(app, code, {})
        # `bank validate` reads YAML only: it refuses a workbook as "not UTF-8 text".
        for command in (
            ["roster", "import", str(path)],
            ["bank", "import", str(path)],
            ["bank", "validate", str(path)],
        ):
            with Measured() as measured:
                result = runner.invoke(args=command)
            assert result.exit_code != 0, (command, result.output)
            assert result.exception is None or isinstance(result.exception, SystemExit), (
                command,
                repr(result.exception),
            )
            if command[1] == "import":
                assert message in result.output, (command, result.output)
            assert measured.seconds < SECONDS, command
    assert count_rows(db_session) == before
