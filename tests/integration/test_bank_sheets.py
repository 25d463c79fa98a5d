"""Question spreadsheets end to end: XLSX/CSV through the service and `flask bank import/export`,
all or nothing, export -> import unchanged, and real third-party exam files."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from app.domain.sheets import TEMPLATE_HEADERS
from app.models import Question
from app.services import bank_io, bank_sheets
from tests.roster_files import csv_bytes, xlsx_bytes

ROOT = Path(__file__).resolve().parents[2]
STARTER_BANK = ROOT / "question_bank"
DISC = ROOT.parent / "shared" / "data" / "disc-law-eval"
DISC_MAPPING = {"题干": "input", "答案": "output", **{f"选项{key}": key for key in "ABCD"}}
DISC_MAP = [arg for field, column in DISC_MAPPING.items() for arg in ("--map", f"{field}={column}")]
# The same control characters the bank refuses (newline and tab are allowed).
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")

HEADER = ["编号", "题型", "题干", *(f"选项{k}" for k in "ABCD"), "答案", "法律", "条款", "标签"]


def sheet_row(stem: str, options: list[str], answer: str, **cells: str) -> list[str]:
    """One row under HEADER; cells by field: id, type, law, article, tags."""
    options = [*options, "", "", "", ""][:4]
    first = [cells.get("id", ""), cells.get("type", ""), stem, *options, answer]
    return [*first, *(cells.get(name, "") for name in ("law", "article", "tags"))]


ROWS = [
    sheet_row(
        "根据宪法，人民行使国家权力的机关是（　　）。",
        ["国务院", "人民代表大会", "法院", "检察院"],
        "B",
        type="单选",
        law="中华人民共和国宪法",
        article="第二条",
        tags="总纲",
    ),
    sheet_row(
        "下列属于公民基本义务的有（　　）。",
        ["依法纳税", "服兵役", "经商", "旅游"],
        "A、B",
        tags="公民",
    ),
    sheet_row("宪法是国家的根本法。", [], "√", type="判断", law="xianfa", article="序言"),
]


def count_questions(session) -> int:
    return session.scalar(select(func.count()).select_from(Question))


def reports(output: str, added: int, unchanged: int) -> bool:
    """Whether the import summary says `added` added and `unchanged` unchanged, with no new
    versions, in Chinese (the default) or English."""
    return (
        f"新增 {added} 题，新版本 0 题，无变化 {unchanged} 题" in output
        or f"{added} added, 0 new versions, {unchanged} unchanged" in output
    )


@pytest.fixture
def laws(db_session):
    """The starter law registry in the database, without any question."""
    bank_io.import_bank(db_session, None, bank_io.read_bank([STARTER_BANK / "laws.yaml"]))


@pytest.fixture
def starter_bank(db_session) -> int:
    """The starter bank imported; returns its number of questions."""
    report = bank_io.import_bank(db_session, None, bank_io.read_bank([STARTER_BANK]))
    return len(report.added)


# ---- import -------------------------------------------------------------------------------


def test_xlsx_import_through_the_service(db_session, laws):
    bank = bank_sheets.read_sheet_bank(
        db_session, "宪法题库.xlsx", xlsx_bytes(ROWS, HEADER), topic="宪法", id_prefix="xf"
    )
    assert bank.errors == []
    report = bank_io.import_bank(db_session, None, bank)
    assert report.added == ["xf-00002", "xf-00003", "xf-00004"]
    rows = {q.id: q for q in db_session.scalars(select(Question))}
    single, multiple, judge = rows["xf-00002"], rows["xf-00003"], rows["xf-00004"]
    assert (single.status, single.current.law_id, single.current.answer) == (
        "approved",
        "xianfa",  # the law's full title, mapped to its id
        ["B"],
    )
    assert (multiple.status, multiple.current.type, multiple.current.answer) == (
        "draft",  # no law cited
        "multiple",
        ["A", "B"],
    )
    assert (judge.current.type, judge.current.answer, judge.current.options) == ("judge", True, [])
    assert {row.current.topic for row in rows.values()} == {"宪法"}


def test_csv_import_through_the_cli_is_idempotent(runner, db_session, laws, tmp_path):
    sheet = tmp_path / "xianfa_extra.csv"
    sheet.write_bytes(csv_bytes(ROWS, HEADER))
    result = runner.invoke(args=["bank", "import", str(sheet), "--topic", "宪法"])
    assert result.exit_code == 0, result.output
    assert reports(result.output, 3, 0)
    ids = sorted(db_session.scalars(select(Question.id)))
    assert ids == ["xianfa-extra-00002", "xianfa-extra-00003", "xianfa-extra-00004"]
    assert [db_session.get(Question, i).status for i in ids] == ["approved", "draft", "approved"]

    again = runner.invoke(args=["bank", "import", str(sheet), "--topic", "宪法"])
    assert again.exit_code == 0, again.output
    assert reports(again.output, 0, 3)


def test_xlsx_import_through_the_cli(runner, db_session, laws, tmp_path):
    sheet = tmp_path / "题库.xlsx"
    sheet.write_bytes(xlsx_bytes(ROWS, HEADER))
    result = runner.invoke(args=["bank", "import", str(sheet), "--id-prefix", "xf"])
    assert result.exit_code == 0, result.output
    questions = list(db_session.scalars(select(Question)).unique())
    assert sorted(q.id for q in questions) == ["xf-00002", "xf-00003", "xf-00004"]
    assert {q.current.topic for q in questions} == {"题库"}  # no --topic: the file's name


def test_one_bad_row_imports_nothing(runner, db_session, laws, tmp_path):
    rows = [*ROWS, sheet_row("题干", ["甲", "乙", "丙", "丁"], "E", type="单选")]
    sheet = tmp_path / "bad.csv"
    sheet.write_bytes(csv_bytes(rows, HEADER))

    bank = bank_sheets.read_sheet_bank(db_session, sheet.name, sheet.read_bytes())
    assert [(e.line, e.code, e.param_dict["column"]) for e in bank.errors] == [
        (5, "answer_not_option", "答案")
    ]
    assert len(bank.questions) == 3  # the good rows were read, but must not be imported
    with pytest.raises(bank_io.BankRejected):
        bank_io.import_bank(db_session, None, bank)
    assert count_questions(db_session) == 0

    result = runner.invoke(args=["bank", "import", str(sheet)])
    assert result.exit_code == 1
    assert "bad.csv:5: bad-00005: " in result.output
    assert "答案" in result.output  # the column, as written in the header
    assert count_questions(db_session) == 0


def test_errors_list_every_bad_row_with_its_column(runner, db_session, laws, tmp_path):
    rows = [
        ["q-1", "单选", "", "甲", "乙", "丙", "丁", "A", "", "", ""],
        ["q-2", "选择", "题干", "甲", "乙", "丙", "丁", "A", "", "", ""],
        ["q-1", "多选", "题干", "甲", "乙", "丙", "丁", "A,C", "刑法", "第一条", ""],
    ]
    sheet = tmp_path / "many.xlsx"
    sheet.write_bytes(xlsx_bytes(rows, HEADER))
    result = runner.invoke(args=["bank", "import", str(sheet)])
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line.startswith("many.xlsx:")]
    # file:row: id: column <header>: message (the column phrase is translated, e.g. “题干”列)
    found = [tuple(line.split(": ", 3)[:3]) for line in lines]
    expected = [
        ("many.xlsx:2", "q-1", "题干"),
        ("many.xlsx:3", "q-2", "题型"),
        ("many.xlsx:4", "q-1", "法律"),
        ("many.xlsx:4", "q-1", "编号"),
    ]
    assert [(place, qid) for place, qid, _ in found] == [(p, q) for p, q, _ in expected]
    for (_, _, column_phrase), (_, _, header) in zip(found, expected, strict=True):
        assert header in column_phrase


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--map", "题干"], "FIELD=COLUMN"),
        (["--map", "=input"], "FIELD=COLUMN"),
        (["--map", "问题=input"], "问题"),
    ],
)
def test_a_bad_map_value_exits_non_zero(runner, tmp_path, args, expected):
    sheet = tmp_path / "s.csv"
    sheet.write_bytes(csv_bytes(ROWS, HEADER))
    result = runner.invoke(args=["bank", "import", str(sheet), *args])
    assert result.exit_code != 0
    assert expected in result.output


def test_sheets_and_yaml_are_not_mixed_and_missing_sheets_are_named(runner, tmp_path):
    sheet = tmp_path / "s.csv"
    sheet.write_bytes(csv_bytes(ROWS, HEADER))
    mixed = runner.invoke(args=["bank", "import", str(STARTER_BANK), str(sheet)])
    assert mixed.exit_code != 0 and "YAML" in mixed.output
    missing = runner.invoke(args=["bank", "import", str(tmp_path / "nope.xlsx")])
    assert missing.exit_code == 1 and "nope.xlsx" in missing.output


# ---- export -------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_export_then_import_changes_nothing(db_session, starter_bank, fmt):
    extra = bank_sheets.read_sheet_bank(
        db_session, "extra.csv", csv_bytes(ROWS, HEADER), topic="宪法"
    )
    bank_io.import_bank(db_session, None, extra)
    # Every status the sheet must carry back: draft (above), retired, needs_review.
    db_session.get(Question, "xianfa-0001").status = "retired"
    db_session.get(Question, "xianfa-0002").status = "needs_review"
    db_session.commit()
    total = starter_bank + 3

    content = bank_sheets.export_sheet(db_session, fmt)
    bank = bank_sheets.read_sheet_bank(db_session, f"bank.{fmt}", content)
    assert bank.errors == []
    assert len(bank.questions) == total
    report = bank_io.import_bank(db_session, None, bank)
    assert len(report.unchanged) == total
    changes = {name: n for name, n in report.counts().items() if n and name != "unchanged"}
    assert changes == {}
    assert db_session.get(Question, "xianfa-0001").status == "retired"
    assert db_session.get(Question, "xianfa-0002").status == "needs_review"


def test_export_command_writes_yaml_and_both_sheets(runner, db_session, starter_bank, tmp_path):
    xlsx, sheet_csv = tmp_path / "out" / "bank.xlsx", tmp_path / "bank.csv"
    result = runner.invoke(
        args=[
            "bank",
            "export",
            str(tmp_path / "yaml"),
            "--xlsx",
            str(xlsx),
            "--csv",
            str(sheet_csv),
        ]
    )
    assert result.exit_code == 0, result.output
    assert (tmp_path / "yaml" / "laws.yaml").exists()

    workbook = load_workbook(xlsx)
    sheet = workbook.active
    assert [cell.value for cell in sheet[1]] == list(TEMPLATE_HEADERS)
    assert all(cell.font.bold for cell in sheet[1])
    assert sheet.column_dimensions["C"].width >= 40  # the stem column is wide
    assert sheet["C2"].alignment.wrap_text
    ids = [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert ids == sorted(ids) and len(ids) == starter_bank

    raw = sheet_csv.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # a BOM, so that Excel reads UTF-8
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    assert rows[0] == list(TEMPLATE_HEADERS) and len(rows) == starter_bank + 1

    for path in (xlsx, sheet_csv):
        again = runner.invoke(args=["bank", "import", str(path)])
        assert again.exit_code == 0, again.output
        assert reports(again.output, 0, starter_bank)


def test_an_export_keeps_text_that_starts_with_equals_as_text(db_session, laws):
    rows = [["f-1", "单选", "=SUM(A1:A9) 是什么？", "+1", "-1", "@x", "甲", "A", "", "", ""]]
    bank_io.import_bank(
        db_session,
        None,
        bank_sheets.read_sheet_bank(db_session, "f.csv", csv_bytes(rows, HEADER), topic="t"),
    )
    sheet = load_workbook(io.BytesIO(bank_sheets.export_sheet(db_session, "xlsx"))).active
    assert sheet["C2"].value == "=SUM(A1:A9) 是什么？"
    assert sheet["C2"].data_type == "s"


# ---- real third-party files ---------------------------------------------------------------

# What reading the files row by row found; the test recomputes it from the CSV.
KNOWN_DEFECTS = {
    "mcq_sing_lbk.csv": {},
    # Two options with the same text (row 73: B and C; row 105: A and B).
    "mcq_sing_pfe.csv": {73: "duplicate_option", 105: "duplicate_option"},
    # Option D holds an invisible U+001F inside "In\x1ffiniti".
    "mcq_mult_nje.csv": {136: "control_character"},
}
KINDS = {"mcq_sing_lbk.csv": "single", "mcq_sing_pfe.csv": "single", "mcq_mult_nje.csv": "multiple"}


def disc_rows(name: str) -> list[list[str]]:
    if not DISC.is_dir():
        pytest.skip(f"the third-party exam files are not at {DISC}")
    with (DISC / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle))


def readme_count(name: str) -> int:
    """The number of questions the README beside the files states for `name`."""
    text = (DISC / "README.md").read_text(encoding="utf-8")
    match = re.search(rf"^\| {re.escape(name)} \| (\d+) \|", text, re.MULTILINE)
    assert match, f"the README has no row for {name}"
    return int(match.group(1))


def defects_of(rows: list[list[str]]) -> dict[int, str]:
    """Rows the bank rules refuse, found from the CSV alone: repeated options, control chars."""
    header = rows[0]
    checked = [header.index(name) for name in ("input", "output", "A", "B", "C", "D")]
    options = [header.index(key) for key in "ABCD"]
    found = {}
    for number, row in enumerate(rows[1:], start=2):
        texts = [row[i].strip() for i in options]
        if len(set(texts)) < len(texts):
            found[number] = "duplicate_option"
        elif any(CONTROL.search(row[i].strip()) for i in checked):
            found[number] = "control_character"
    return found


@pytest.mark.parametrize("name", list(KNOWN_DEFECTS))
def test_disc_files_import_as_drafts_and_refusals_are_true(runner, db_session, tmp_path, name):
    rows = disc_rows(name)
    assert len(rows) - 1 == readme_count(name)
    defects = defects_of(rows)
    assert defects == KNOWN_DEFECTS[name]

    result = runner.invoke(args=["bank", "import", str(DISC / name), *DISC_MAP])
    if defects:
        # The file is refused whole, every bad row listed, for exactly the reasons found.
        assert result.exit_code == 1
        refused = {int(n) for n in re.findall(rf"^{re.escape(name)}:(\d+): ", result.output, re.M)}
        assert refused == set(defects)
        assert count_questions(db_session) == 0
        bank = bank_sheets.read_sheet_bank(
            db_session, name, (DISC / name).read_bytes(), mapping=DISC_MAPPING
        )
        assert {(e.line, e.code) for e in bank.errors} == set(defects.items())
        # The rest of the file imports once the refused rows are taken out.
        cleaned = tmp_path / name
        with cleaned.open("w", encoding="utf-8", newline="") as handle:
            csv.writer(handle).writerows(
                row for number, row in enumerate(rows, start=1) if number not in defects
            )
        result = runner.invoke(args=["bank", "import", str(cleaned), *DISC_MAP])
    assert result.exit_code == 0, result.output
    questions = list(db_session.scalars(select(Question)).unique())
    assert len(questions) == len(rows) - 1 - len(defects)
    assert {q.status for q in questions} == {"draft"}  # no law cited: examiners review them
    assert {q.current.type for q in questions} == {KINDS[name]}

    source = cleaned if defects else DISC / name
    again = runner.invoke(args=["bank", "import", str(source), *DISC_MAP])
    assert again.exit_code == 0, again.output
    assert reports(again.output, 0, len(questions))


@pytest.mark.parametrize("name", list(KNOWN_DEFECTS))
def test_disc_text_survives_the_mess_exactly(db_session, name):
    rows = disc_rows(name)
    bank = bank_sheets.read_sheet_bank(
        db_session, name, (DISC / name).read_bytes(), mapping=DISC_MAPPING
    )
    assert len(bank.questions) == len(rows) - 1 - len(KNOWN_DEFECTS[name])
    header = rows[0]
    for question in bank.questions:
        row = dict(zip(header, rows[question.line - 1], strict=True))
        content = question.content
        # Outer blanks and the trailing newline go; inner newlines, quotes and spaces stay.
        assert content.stem == row["input"].strip()
        assert content.options == tuple((k, row[k].strip()) for k in "ABCD")
        assert content.answer == tuple(sorted(row["output"]))
        assert content.topic == name.removesuffix(".csv")


def test_disc_mess_cases_are_read_as_written(db_session):
    disc_rows("mcq_mult_nje.csv")  # skips when the files are absent

    def stem(name: str, line: int) -> str:
        bank = bank_sheets.read_sheet_bank(
            db_session, name, (DISC / name).read_bytes(), mapping=DISC_MAPPING
        )
        return next(q.content.stem for q in bank.questions if q.line == line)

    # A newline inside a quoted field stays; the trailing one most stems carry goes.
    assert "手续。\n关于甲、戊、己关系的表述错误的是：" in stem("mcq_mult_nje.csv", 83)
    assert not stem("mcq_mult_nje.csv", 2).endswith("\n")
    # A "" escape inside a quoted field is one quote character.
    assert '刑罚为政教之用"，如唐太宗' in stem("mcq_mult_nje.csv", 4)
    # Spaces typed inside the text are the author's and stay.
    assert "之日起 6 个月内" in stem("mcq_sing_pfe.csv", 22)


def test_yaml_export_after_a_sheet_import_writes_yaml_files_only(runner, db_session, tmp_path):
    rows = disc_rows("mcq_sing_lbk.csv")
    result = runner.invoke(args=["bank", "import", str(DISC / "mcq_sing_lbk.csv"), *DISC_MAP])
    assert result.exit_code == 0, result.output
    target = tmp_path / "yaml"
    assert runner.invoke(args=["bank", "export", str(target)]).exit_code == 0
    assert sorted(p.name for p in target.iterdir()) == ["laws.yaml", "mcq_sing_lbk.yaml"]
    bank = bank_io.read_bank([target])
    assert bank.errors == [] and len(bank.questions) == len(rows) - 1
