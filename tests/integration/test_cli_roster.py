"""`flask roster import FILE [--passwords-out FILE]`: all or nothing, with a clear exit code."""

from __future__ import annotations

import csv

from sqlalchemy import func, select

from app.models import Cadre, Unit, User
from tests.roster_files import GOOD_ROWS, csv_bytes, xlsx_bytes


def test_import_writes_passwords_file(runner, db_session, tmp_path):
    roster = tmp_path / "名册.xlsx"
    roster.write_bytes(xlsx_bytes(GOOD_ROWS))
    out = tmp_path / "passwords.csv"
    result = runner.invoke(args=["roster", "import", str(roster), "--passwords-out", str(out)])
    assert result.exit_code == 0, result.output
    assert "3" in result.output
    with out.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    assert [row[0] for row in rows[1:]] == ["1001", "1002", "1003"]
    assert out.stat().st_mode & 0o077 == 0  # passwords are readable by the operator only
    assert db_session.scalar(select(func.count()).select_from(Cadre)) == 3


def test_import_without_passwords_out_keeps_them_in_the_instance_folder(runner, app, tmp_path):
    roster = tmp_path / "r.csv"
    roster.write_bytes(csv_bytes(GOOD_ROWS))
    result = runner.invoke(args=["roster", "import", str(roster)])
    assert result.exit_code == 0, result.output
    written = list((tmp_path / "instance").glob("roster-passwords-*.csv"))
    assert len(written) == 1
    assert str(written[0]) in result.output


def test_bad_rows_exit_non_zero_and_import_nothing(runner, db_session, tmp_path):
    rows = [
        *GOOD_ROWS,
        ["1004", "", "大石桥市/司法局", "", "", "公务员"],
        ["1005", "某某", "大石桥市/司法局", "", "", "临时工"],
    ]
    roster = tmp_path / "bad.csv"
    roster.write_bytes(csv_bytes(rows))
    result = runner.invoke(args=["roster", "import", str(roster)])
    assert result.exit_code != 0
    assert "第 5 行" in result.output and "第 6 行" in result.output
    for model in (Cadre, Unit, User):
        assert db_session.scalar(select(func.count()).select_from(model)) == 0


def test_missing_file_and_wrong_type_exit_non_zero(runner, tmp_path):
    assert runner.invoke(args=["roster", "import", str(tmp_path / "nope.csv")]).exit_code != 0
    odd = tmp_path / "roster.json"
    odd.write_text("{}")
    result = runner.invoke(args=["roster", "import", str(odd)])
    assert result.exit_code != 0
    assert "roster.json" in result.output


def test_reimport_is_idempotent(runner, db_session, tmp_path):
    roster = tmp_path / "r.csv"
    roster.write_bytes(csv_bytes(GOOD_ROWS))
    runner.invoke(args=["roster", "import", str(roster), "--passwords-out", str(tmp_path / "a")])
    again = runner.invoke(
        args=["roster", "import", str(roster), "--passwords-out", str(tmp_path / "b")]
    )
    assert again.exit_code == 0, again.output
    assert "新增干部 0 名，更新 0 名，3 名无变化；已创建考生账号 0 个" in again.output
    assert not (tmp_path / "b").exists()
