"""`flask bank validate|import|export` on the starter bank and broken copies of it.

Output is checked in Chinese, the default locale.
"""

from __future__ import annotations

import re
import shutil
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app import create_app
from app.models import Law, Question, QuestionVersion

STARTER = Path(__file__).resolve().parents[2] / "question_bank"
QUESTION_LINE = re.compile(r"^  - id: (\S+)$", re.MULTILINE)


def topic_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.glob("*.yaml") if p.name != "laws.yaml")


def ids_by_topic(folder: Path) -> dict[str, list[str]]:
    """Question ids per topic, read with a regular expression rather than the validator."""
    result = {}
    for path in topic_files(folder):
        text = path.read_text(encoding="utf-8")
        topic = re.search(r"^topic: (.+)$", text, re.MULTILINE).group(1).strip()
        result[topic] = QUESTION_LINE.findall(text)
    return result


def total_questions(folder: Path) -> int:
    return sum(len(ids) for ids in ids_by_topic(folder).values())


@pytest.fixture
def bank_copy(tmp_path) -> Path:
    target = tmp_path / "bank"
    shutil.copytree(STARTER, target)
    return target


def field_line(path: Path, question_id: str, field: str) -> int:
    """The 1-based line of `field` inside the question `question_id`."""
    lines = path.read_text(encoding="utf-8").splitlines()
    start = lines.index(f"  - id: {question_id}")
    for number in range(start + 1, len(lines)):
        if lines[number].startswith("  - id: "):
            break
        if lines[number].startswith(f"    {field}:"):
            return number + 1
    raise AssertionError(f"{question_id} has no {field}")


def replace_field(path: Path, question_id: str, field: str, new_line: str) -> int:
    """Replace the line of `field` in `question_id` by `new_line`; return its number."""
    number = field_line(path, question_id, field)
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[number - 1] = new_line + "\n"
    path.write_text("".join(lines), encoding="utf-8")
    return number


def count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


def summary_line(added=0, new_version=0, unchanged=0, retired=0, needs_review=0) -> str:
    return (
        f"新增 {added} 题，新版本 {new_version} 题，无变化 {unchanged} 题，"
        f"停用 {retired} 题；待复核 {needs_review} 题。"
    )


# ---- validate -----------------------------------------------------------------------------


def test_validate_the_starter_bank_prints_the_summary(runner):
    result = runner.invoke(args=["bank", "validate", str(STARTER)])

    assert result.exit_code == 0, result.output
    topics = ids_by_topic(STARTER)
    total = sum(len(ids) for ids in topics.values())
    assert total == 479
    assert f"题库校验通过：共 {total} 道题，涉及 12 部法律法规。" in result.output
    for heading in ("按主题:", "按题型:", "按法律法规:", "按难度:"):
        assert heading in result.output
    for topic, ids in topics.items():
        assert f"  {topic}: {len(ids)}\n" in result.output
    by_type = dict(re.findall(r"^  (single|multiple|judge): (\d+)$", result.output, re.MULTILINE))
    assert sum(map(int, by_type.values())) == total
    section = result.output.split("按难度:")[1].split("按状态:")[0]
    by_difficulty = dict(re.findall(r"^  ([1-5]): (\d+)$", section, re.MULTILINE))
    assert sum(map(int, by_difficulty.values())) == total


def test_validate_without_paths_uses_the_configured_bank(runner):
    result = runner.invoke(args=["bank", "validate"])
    assert result.exit_code == 0, result.output
    assert "题库校验通过" in result.output


def test_validate_a_broken_copy_lists_every_error_with_its_line(runner, bank_copy):
    xianfa = bank_copy / "xianfa.yaml"
    minfadian = bank_copy / "minfadian.yaml"
    answer = xianfa.read_text(encoding="utf-8").splitlines()[
        field_line(xianfa, "xianfa-0003", "answer") - 1
    ]
    typo_line = replace_field(xianfa, "xianfa-0003", "answer", answer.replace("answer", "anwser"))
    type_line = replace_field(xianfa, "xianfa-0010", "type", "    type: singel")
    difficulty_line = replace_field(minfadian, "minfadian-0002", "difficulty", "    difficulty: 7")
    law_line = replace_field(minfadian, "minfadian-0005", "law", "    law: minfadain")
    question_line = xianfa.read_text(encoding="utf-8").splitlines().index("  - id: xianfa-0003") + 1

    result = runner.invoke(args=["bank", "validate", str(bank_copy)])

    assert result.exit_code == 1
    expected = [
        f"{minfadian}:{difficulty_line}: minfadian-0002: difficulty（难度）应为 1 至 5 的整数，"
        "而不是 7。",
        f"{minfadian}:{law_line}: minfadian-0005: ",
        f"{xianfa}:{typo_line}: xianfa-0003: 未知字段 anwser：是否应为 answer？",
        f"{xianfa}:{question_line}: xianfa-0003: 缺少字段 answer。",
        f"{xianfa}:{type_line}: xianfa-0010: ",
    ]
    error_lines = [line for line in result.output.splitlines() if line.startswith(str(bank_copy))]
    assert len(error_lines) == len(expected), result.output
    for prefix in expected:
        assert any(line.startswith(prefix) for line in error_lines), (prefix, result.output)
    assert "minfadain" in result.output and "minfadian" in result.output
    assert "singel" in result.output
    assert "发现 5 处问题。" in result.output
    assert "题库校验通过" not in result.output


def test_validate_reports_a_yaml_syntax_error_with_its_line(runner, bank_copy):
    target = bank_copy / "lifafa.yaml"
    line = replace_field(target, "lifafa-0002", "stem", "    stem: 立法: 应当")

    result = runner.invoke(args=["bank", "validate", str(bank_copy)])

    assert result.exit_code == 1
    assert f"{target}:{line}: " in result.output


def test_validate_a_missing_path_fails_clearly(runner, tmp_path):
    result = runner.invoke(args=["bank", "validate", str(tmp_path / "nothing")])
    assert result.exit_code != 0
    assert str(tmp_path / "nothing") in result.output


BOMBS = [
    pytest.param(
        "topic: 炸弹\n"
        'a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]\n'
        + "".join(
            f"{name}: &{name} [{', '.join([f'*{previous}'] * 9)}]\n"
            for previous, name in zip("abcdefgh", "bcdefghi", strict=True)
        )
        + "questions: *i\n",
        2,
        "题库中不允许使用 YAML 锚点和别名（& 和 *）。",
        id="billion-laughs",
    ),
    pytest.param(
        "topic: 嵌套\nquestions:\n  - id: bomb-1\n    stem: " + "[" * 40 + "]" * 40 + "\n",
        4,
        "YAML 嵌套超过 12 层。",
        id="deep-nesting",
    ),
    pytest.param(
        "topic: 巨大\nquestions: []\n# " + "大" * (3 * 1024 * 1024) + "\n",
        1,
        "文件超过 8 MB。",
        id="huge-file",
    ),
]


@pytest.mark.parametrize(("text", "line", "message"), BOMBS)
def test_yaml_bombs_are_refused_with_a_clear_error(
    runner, db_session, bank_copy, text, line, message
):
    bomb = bank_copy / "bomb.yaml"
    bomb.write_text(text, encoding="utf-8")

    validated = runner.invoke(args=["bank", "validate", str(bank_copy)])
    imported = runner.invoke(args=["bank", "import", str(bank_copy)])

    assert validated.exit_code == imported.exit_code == 1
    assert f"{bomb}:{line}: {message}" in validated.output.splitlines()
    assert f"{bomb}:{line}: {message}" in imported.output.splitlines()
    assert count(db_session, Question) == 0


# ---- import -------------------------------------------------------------------------------


def test_import_prints_the_counts_and_is_idempotent(runner, db_session, bank_copy):
    total = total_questions(bank_copy)

    first = runner.invoke(args=["bank", "import", str(bank_copy)])

    assert first.exit_code == 0, first.output
    assert summary_line(added=total) in first.output
    assert count(db_session, Question) == count(db_session, QuestionVersion) == total
    assert count(db_session, Law) == 12

    again = runner.invoke(args=["bank", "import", str(bank_copy)])
    assert again.exit_code == 0, again.output
    assert summary_line(unchanged=total) in again.output
    assert count(db_session, QuestionVersion) == total

    replace_field(bank_copy / "xianfa.yaml", "xianfa-0001", "difficulty", "    difficulty: 5")
    third = runner.invoke(args=["bank", "import", str(bank_copy)])
    assert summary_line(new_version=1, unchanged=total - 1) in third.output
    assert count(db_session, QuestionVersion) == total + 1


def test_import_dry_run_changes_nothing(runner, db_session, bank_copy):
    total = total_questions(bank_copy)

    result = runner.invoke(args=["bank", "import", str(bank_copy), "--dry-run"])

    assert result.exit_code == 0, result.output
    assert "试运行，未作任何改动：" + summary_line(added=total) in result.output
    assert count(db_session, Question) == count(db_session, Law) == 0


def test_import_retire_missing(runner, db_session, bank_copy):
    runner.invoke(args=["bank", "import", str(bank_copy)])
    target = bank_copy / "lifafa.yaml"
    text = target.read_text(encoding="utf-8")
    starts = [match.start() for match in QUESTION_LINE.finditer(text)]
    dropped = QUESTION_LINE.findall(text)[2:]
    target.write_text(text[: starts[2]], encoding="utf-8")
    total = total_questions(bank_copy)

    plain = runner.invoke(args=["bank", "import", str(bank_copy)])
    assert summary_line(unchanged=total) in plain.output

    result = runner.invoke(args=["bank", "import", str(bank_copy), "--retire-missing"])

    assert result.exit_code == 0, result.output
    assert summary_line(unchanged=total, retired=len(dropped)) in result.output
    db_session.expire_all()
    statuses = Counter(row.status for row in db_session.scalars(select(Question)))
    assert statuses == {"approved": total, "retired": len(dropped)}
    assert {row.id for row in db_session.scalars(select(Question)) if row.status == "retired"} == (
        set(dropped)
    )


def test_import_of_a_broken_bank_prints_errors_and_imports_nothing(runner, db_session, bank_copy):
    target = bank_copy / "gongwuyuan.yaml"
    line = replace_field(target, "gongwuyuan-0001", "answer", "    answer: Z")

    result = runner.invoke(args=["bank", "import", str(bank_copy)])

    assert result.exit_code == 1
    assert f"{target}:{line}: gongwuyuan-0001: 答案 Z 不在选项之中。" in result.output
    assert "发现 1 处问题，未导入任何数据。" in result.output
    assert count(db_session, Question) == count(db_session, Law) == 0


# ---- export -------------------------------------------------------------------------------


def files_under(folder: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(folder)): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def test_export_import_into_a_fresh_database_export_gives_identical_bytes(
    runner, bank_copy, tmp_path
):
    assert runner.invoke(args=["bank", "import", str(bank_copy)]).exit_code == 0
    first_dir, second_dir = tmp_path / "export-1", tmp_path / "export-2"
    exported = runner.invoke(args=["bank", "export", str(first_dir)])
    assert exported.exit_code == 0, exported.output
    first = files_under(first_dir)
    assert f"已向 {first_dir} 写入 {len(first)} 个文件。" in exported.output
    assert {"laws.yaml", *(p.name for p in topic_files(bank_copy))} <= set(first)

    fresh = create_app(
        {
            "DATABASE_URL": f"sqlite:///{tmp_path / 'fresh.sqlite3'}",
            "INSTANCE_DIR": str(tmp_path / "fresh-instance"),
            "RATELIMIT_STORAGE_URI": "memory://",
        }
    )
    try:
        fresh_runner = fresh.test_cli_runner()
        upgraded = fresh_runner.invoke(args=["db", "upgrade"])
        assert upgraded.exit_code == 0, upgraded.output
        imported = fresh_runner.invoke(args=["bank", "import", str(first_dir)])
        assert imported.exit_code == 0, imported.output
        assert summary_line(added=total_questions(bank_copy)) in imported.output
        assert fresh_runner.invoke(args=["bank", "export", str(second_dir)]).exit_code == 0
    finally:
        fresh.extensions["db.engine"].dispose()

    second = files_under(second_dir)
    assert sorted(second) == sorted(first)
    for name, data in first.items():
        assert second[name] == data, name


def test_export_is_readable_block_yaml_with_chinese_characters(runner, bank_copy, tmp_path):
    runner.invoke(args=["bank", "import", str(bank_copy)])
    target = tmp_path / "out"
    assert runner.invoke(args=["bank", "export", str(target)]).exit_code == 0

    laws = (target / "laws.yaml").read_text(encoding="utf-8")
    assert re.match(r"laws:\n *- id: baomifa\n", laws)
    assert re.search(r"^ +title: 中华人民共和国宪法$", laws, re.MULTILINE)
    assert re.search(r"^ +effective: 2018-03-11$", laws, re.MULTILINE)
    assert re.search(r"^ +version: ['\"]2011['\"]$", laws, re.MULTILINE)  # text, not a number

    xianfa = (target / "xianfa.yaml").read_text(encoding="utf-8")
    assert xianfa.startswith("topic: 宪法\nquestions:\n  - id: xianfa-0001\n    type: single\n")
    source = (bank_copy / "xianfa.yaml").read_text(encoding="utf-8").splitlines()
    stem_line = source[field_line(bank_copy / "xianfa.yaml", "xianfa-0001", "stem") - 1]
    assert "（　　）" in stem_line and stem_line + "\n" in xianfa  # plain text, as written
    assert "    options:\n      A: " in xianfa
    assert re.search(r"^    answer: \[[A-H](, [A-H])+\]$", xianfa, re.MULTILINE)
    assert re.search(r"^    answer: (true|false)$", xianfa, re.MULTILINE)
    # One blank line between questions, ids in order.
    ids = QUESTION_LINE.findall(xianfa)
    assert ids == sorted(ids) and len(ids) == len(ids_by_topic(bank_copy)["宪法"])
    assert xianfa.count("\n\n  - id: ") == len(ids) - 1
    for path in target.rglob("*.yaml"):
        text = path.read_text(encoding="utf-8")
        assert "\\u" not in text and "\\x" not in text and "\\U" not in text, path
        assert "options: {" not in text, path
