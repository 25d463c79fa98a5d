"""The bank validator (app.domain.bank): one parametrized test per rule family.

Every case is a small YAML text and the exact (line, question id, code) triples the
validator must report. Question cases are written without the file header: their
first line is line 3 of the file, after `topic: 测试` and `questions:`. Whole-file
cases (YAML level, laws.yaml) start at line 1.
"""

from __future__ import annotations

import textwrap
from datetime import date

import pytest

from app.domain import bank as core
from app.domain.bank import load_bank, parse_laws

LAWS = """\
laws:
  - id: xianfa
    title: 中华人民共和国宪法
    version: 2018修正
    effective: 2018-03-11
  - id: xingzheng-chufa
    title: 中华人民共和国行政处罚法
    version: 2021修订
    effective: 2021-07-15
"""
HEADER = "topic: 测试\nquestions:\n"


def questions_file(body: str) -> str:
    """The header, then `body` indented under `questions:`: body line 1 is file line 3."""
    return HEADER + textwrap.indent(textwrap.dedent(body).strip("\n") + "\n", "  ")


def whole_file(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


def triples(errors: list[core.BankError]) -> list[tuple[int, str, str]]:
    return sorted((e.line, e.question_id, e.code) for e in errors)


def load_topic(text: str, laws: str = LAWS) -> core.Bank:
    return load_bank([("laws.yaml", laws), ("t.yaml", text)])


def check(body: str, expected: list[tuple[int, str, str]]) -> None:
    bank = load_topic(questions_file(body))
    assert triples(bank.errors) == sorted(expected)
    assert all(error.path == "t.yaml" for error in bank.errors)
    if not expected:
        assert len(bank.questions) == 1


# ---- ids ----------------------------------------------------------------------------------

ID_CASES = [
    pytest.param(
        """
        - id: xianfa-0001
          type: judge
          stem: 宪法是国家的根本法。
          answer: true
          law: xianfa
          article: 序言
        """,
        [],
        id="valid",
    ),
    pytest.param(
        """
        - type: judge
          stem: 宪法是国家的根本法。
          answer: true
          law: xianfa
          article: 序言
        """,
        [(3, "", "missing_field")],
        id="missing",
    ),
    pytest.param(
        """
        - id: XianFa-0001
          type: judge
          stem: 宪法是国家的根本法。
          answer: true
          law: xianfa
          article: 序言
        """,
        [(3, "XianFa-0001", "bad_id")],
        id="uppercase",
    ),
    pytest.param(
        """
        - type: judge
          id: xianfa_0001
          stem: 宪法是国家的根本法。
          answer: true
          law: xianfa
          article: 序言
        """,
        [(4, "xianfa_0001", "bad_id")],
        id="underscore-on-the-id-line",
    ),
    pytest.param(
        """
        - id: xianfa--1
          type: judge
          stem: 宪法是国家的根本法。
          answer: true
          law: xianfa
          article: 序言
        """,
        [(3, "xianfa--1", "bad_id")],
        id="double-hyphen",
    ),
    pytest.param(
        """
        - id: "xianfa-1 "
          type: judge
          stem: 宪法是国家的根本法。
          answer: true
          law: xianfa
          article: 序言
        """,
        [(3, "xianfa-1 ", "bad_id")],
        id="trailing-space",
    ),
    pytest.param(
        """
        - id: 宪法-1
          type: judge
          stem: 宪法是国家的根本法。
          answer: true
          law: xianfa
          article: 序言
        """,
        [(3, "宪法-1", "bad_id")],
        id="chinese",
    ),
    pytest.param(
        f"""
        - id: {"a" * 65}
          type: judge
          stem: 宪法是国家的根本法。
          answer: true
          law: xianfa
          article: 序言
        """,
        [(3, "a" * 65, "bad_id")],
        id="too-long",
    ),
    pytest.param(
        """
        - id: q-1
          type: judge
          stem: 第一题。
          answer: true
          law: xianfa
          article: 序言

        - id: q-1
          type: judge
          stem: 第二题。
          answer: false
          law: xianfa
          article: 序言
        """,
        [(10, "q-1", "duplicate_id")],
        id="duplicate-in-one-file",
    ),
]


@pytest.mark.parametrize(("body", "expected"), ID_CASES)
def test_ids(body, expected):
    check(body, expected)


def test_duplicate_id_across_files_names_the_first_file_and_line():
    first = questions_file(
        """
        - id: q-0
          type: judge
          stem: 其他题。
          answer: true
          law: xianfa
          article: 序言
        - id: q-1
          type: judge
          stem: 第一题。
          answer: true
          law: xianfa
          article: 序言
        """
    )
    second = questions_file(
        """
        - id: q-2
          type: judge
          stem: 第二题。
          answer: true
          law: xianfa
          article: 序言
        - id: q-1
          type: judge
          stem: 重复的题。
          answer: false
          law: xianfa
          article: 序言
        """
    )
    bank = load_bank([("bank/laws.yaml", LAWS), ("bank/a.yaml", first), ("bank/b.yaml", second)])
    assert [(e.path, e.line, e.question_id, e.code) for e in bank.errors] == [
        ("bank/b.yaml", 9, "q-1", "duplicate_id")
    ]
    assert bank.errors[0].param_dict == {"first": "bank/a.yaml:9"}


def test_duplicate_id_is_reported_even_when_the_repeat_has_other_errors():
    # Every error in one run: fixing the typo must not reveal a duplicate only next time.
    body = """
        - id: q-1
          type: judge
          stem: 第一题。
          answer: true
          law: xianfa
          article: 序言
        - id: q-1
          type: judge
          stem: 第二题。
          anwser: false
          law: xianfa
          article: 序言
        """
    bank = load_topic(questions_file(body))
    assert triples(bank.errors) == [
        (9, "q-1", "duplicate_id"),
        (9, "q-1", "missing_field"),
        (12, "q-1", "unknown_field_suggest"),
    ]


# ---- unknown fields -----------------------------------------------------------------------

UNKNOWN_FIELD_CASES = [
    pytest.param(
        """
        - id: q-1
          type: judge
          stem: 宪法是国家的根本法。
          anwser: true
          law: xianfa
          article: 序言
        """,
        [(6, "q-1", "unknown_field_suggest"), (3, "q-1", "missing_field")],
        "answer",
        id="anwser",
    ),
    pytest.param(
        """
        - id: q-1
          type: judge
          stem: 宪法是国家的根本法。
          answer: true
          law: xianfa
          article: 序言
          explaination: 见序言。
        """,
        [(9, "q-1", "unknown_field_suggest")],
        "explanation",
        id="explaination",
    ),
    pytest.param(
        """
        - id: q-1
          type: judge
          stem: 宪法是国家的根本法。
          answer: true
          law: xianfa
          article: 序言
          dificulty: 2
        """,
        [(9, "q-1", "unknown_field_suggest")],
        "difficulty",
        id="dificulty",
    ),
    pytest.param(
        """
        - id: q-1
          type: judge
          stem: 宪法是国家的根本法。
          answer: true
          law: xianfa
          article: 序言
          出处: 宪法
        """,
        [(9, "q-1", "unknown_field")],
        None,
        id="no-near-name",
    ),
]


@pytest.mark.parametrize(("body", "expected", "suggestion"), UNKNOWN_FIELD_CASES)
def test_unknown_fields(body, expected, suggestion):
    check(body, expected)
    bank = load_topic(questions_file(body))
    unknown = [e for e in bank.errors if e.code.startswith("unknown_field")]
    if suggestion:
        assert unknown[0].param_dict["suggestion"] == suggestion
    else:
        assert "answer" in unknown[0].param_dict["allowed"]


def test_unknown_top_level_field_is_reported():
    text = whole_file(
        """
        topic: 测试
        question:
          - id: q-1
        """
    )
    bank = load_topic(text)
    assert triples(bank.errors) == [
        (1, "", "questions_not_list"),
        (2, "", "unknown_field_suggest"),
    ]
    assert bank.errors[0].param_dict["suggestion"] == "questions"


# ---- type and stem ------------------------------------------------------------------------

TYPE_AND_STEM_CASES = [
    pytest.param(
        """
        - id: q-1
          type: singel
          stem: 题干。
          options: {A: 甲, B: 乙}
          answer: A
          law: xianfa
          article: 序言
        """,
        [(4, "q-1", "bad_choice")],
        id="type-typo",
    ),
    pytest.param(
        """
        - id: q-1
          type: Judge
          stem: 题干。
          answer: true
          law: xianfa
          article: 序言
        """,
        [(4, "q-1", "bad_choice")],
        id="type-case",
    ),
    pytest.param(
        """
        - id: q-1
          stem: 题干。
          answer: true
          law: xianfa
          article: 序言
        """,
        [(3, "q-1", "missing_field")],
        id="type-missing",
    ),
    pytest.param(
        """
        - id: q-1
          type: judge
          answer: true
          law: xianfa
          article: 序言
        """,
        [(3, "q-1", "missing_field")],
        id="stem-missing",
    ),
    pytest.param(
        """
        - id: q-1
          type: judge
          stem: ""
          answer: true
          law: xianfa
          article: 序言
        """,
        [(5, "q-1", "empty_text")],
        id="stem-empty-string",
    ),
    pytest.param(
        """
        - id: q-1
          type: judge
          stem:
          answer: true
          law: xianfa
          article: 序言
        """,
        [(5, "q-1", "empty_text")],
        id="stem-null",
    ),
    pytest.param(
        """
        - id: q-1
          type: judge
          stem: "　 \\n\\t"
          answer: true
          law: xianfa
          article: 序言
        """,
        [(5, "q-1", "empty_text")],
        id="stem-blank",
    ),
]


@pytest.mark.parametrize(("body", "expected"), TYPE_AND_STEM_CASES)
def test_type_and_stem(body, expected):
    check(body, expected)


# ---- options ------------------------------------------------------------------------------

OPTION_CASES = [
    pytest.param(
        """
        - id: q-1
          type: single
          stem: 题干。
          options:
            A: 甲
            B: 乙
          answer: A
          law: xianfa
          article: 序言
        """,
        [],
        id="single-two-options",
    ),
    pytest.param(
        """
        - id: q-1
          type: single
          stem: 题干。
          options: {A: 甲, B: 乙, C: 丙, D: 丁, E: 戊, F: 己, G: 庚, H: 辛}
          answer: H
          law: xianfa
          article: 序言
        """,
        [],
        id="single-eight-options",
    ),
    pytest.param(
        """
        - id: q-1
          type: single
          stem: 题干。
          options:
            A: 甲
          answer: A
          law: xianfa
          article: 序言
        """,
        [(6, "q-1", "option_count")],
        id="single-one-option",
    ),
    pytest.param(
        """
        - id: q-1
          type: single
          stem: 题干。
          options: {A: 甲, B: 乙, C: 丙, D: 丁, E: 戊, F: 己, G: 庚, H: 辛, I: 壬}
          answer: A
          law: xianfa
          article: 序言
        """,
        # The keys run A..I in order without gaps: the only problem is their number.
        [(6, "q-1", "option_count")],
        id="single-nine-options",
    ),
    pytest.param(
        """
        - id: q-1
          type: multiple
          stem: 题干。
          options:
            A: 甲
            B: 乙
          answer: [A, B]
          law: xianfa
          article: 序言
        """,
        [(6, "q-1", "option_count")],
        id="multiple-two-options",
    ),
    pytest.param(
        """
        - id: q-1
          type: multiple
          stem: 题干。
          options: {A: 甲, B: 乙, C: 丙}
          answer: [A, C]
          law: xianfa
          article: 序言
        """,
        [],
        id="multiple-three-options",
    ),
    pytest.param(
        """
        - id: q-1
          type: single
          stem: 题干。
          options:
            A: 甲
            B: 乙
            D: 丁
          answer: A
          law: xianfa
          article: 序言
        """,
        [(6, "q-1", "option_keys")],
        id="gap",
    ),
    pytest.param(
        """
        - id: q-1
          type: single
          stem: 题干。
          options:
            B: 乙
            A: 甲
            C: 丙
          answer: A
          law: xianfa
          article: 序言
        """,
        [(6, "q-1", "option_keys")],
        id="order",
    ),
    pytest.param(
        """
        - id: q-1
          type: single
          stem: 题干。
          options: {a: 甲, b: 乙}
          answer: a
          law: xianfa
          article: 序言
        """,
        [(6, "q-1", "option_keys")],
        id="lowercase-keys",
    ),
    pytest.param(
        """
        - id: q-1
          type: single
          stem: 题干。
          options: [甲, 乙]
          answer: A
          law: xianfa
          article: 序言
        """,
        [(6, "q-1", "options_not_mapping")],
        id="list-not-mapping",
    ),
    pytest.param(
        """
        - id: q-1
          type: single
          stem: 题干。
          answer: A
          law: xianfa
          article: 序言
        """,
        [(3, "q-1", "missing_field")],
        id="single-without-options",
    ),
    pytest.param(
        """
        - id: q-1
          type: single
          stem: 题干。
          options:
            A: 甲
            B: ""
            C:
          answer: A
          law: xianfa
          article: 序言
        """,
        [(8, "q-1", "empty_option"), (9, "q-1", "empty_option")],
        id="empty-option-text",
    ),
    pytest.param(
        """
        - id: q-1
          type: single
          stem: 题干。
          options:
            A: 甲
            B: "甲 "
          answer: A
          law: xianfa
          article: 序言
        """,
        [(6, "q-1", "duplicate_option")],
        id="duplicate-option-text",
    ),
    pytest.param(
        """
        - id: q-1
          type: judge
          stem: 题干。
          options:
            A: 正确
            B: 错误
          answer: true
          law: xianfa
          article: 序言
        """,
        [(6, "q-1", "judge_has_options")],
        id="judge-with-options",
    ),
    pytest.param(
        """
        - id: q-1
          type: judge
          stem: 题干。
          options: {}
          answer: true
          law: xianfa
          article: 序言
        """,
        [],
        id="judge-with-empty-options",
    ),
]


@pytest.mark.parametrize(("body", "expected"), OPTION_CASES)
def test_options(body, expected):
    check(body, expected)


# ---- answers ------------------------------------------------------------------------------

ANSWER_CASES = [
    pytest.param(
        """
        - id: q-1
          type: single
          stem: 题干。
          options: {A: 甲, B: 乙, C: 丙}
          answer: [A]
          law: xianfa
          article: 序言
        """,
        [(7, "q-1", "single_answer")],
        id="single-list",
    ),
    pytest.param(
        """
        - id: q-1
          type: single
          stem: 题干。
          options: {A: 甲, B: 乙, C: 丙}
          answer: AB
          law: xianfa
          article: 序言
        """,
        [(7, "q-1", "single_answer")],
        id="single-two-letters",
    ),
    pytest.param(
        """
        - id: q-1
          type: single
          stem: 题干。
          options: {A: 甲, B: 乙, C: 丙}
          answer: true
          law: xianfa
          article: 序言
        """,
        [(7, "q-1", "single_answer")],
        id="single-bool",
    ),
    pytest.param(
        """
        - id: q-1
          type: single
          stem: 题干。
          options: {A: 甲, B: 乙, C: 丙}
          answer: D
          law: xianfa
          article: 序言
        """,
        [(7, "q-1", "answer_not_option")],
        id="single-not-an-option",
    ),
    pytest.param(
        """
        - id: q-1
          type: single
          stem: 题干。
          options: {A: 甲, B: 乙, C: 丙}
          law: xianfa
          article: 序言
        """,
        [(3, "q-1", "missing_field")],
        id="single-missing",
    ),
    pytest.param(
        """
        - id: q-1
          type: multiple
          stem: 题干。
          options: {A: 甲, B: 乙, C: 丙}
          answer: [C, A]
          law: xianfa
          article: 序言
        """,
        [],
        id="multiple-valid-unsorted",
    ),
    pytest.param(
        """
        - id: q-1
          type: multiple
          stem: 题干。
          options: {A: 甲, B: 乙, C: 丙}
          answer: A
          law: xianfa
          article: 序言
        """,
        [(7, "q-1", "multiple_answer")],
        id="multiple-bare-key",
    ),
    pytest.param(
        """
        - id: q-1
          type: multiple
          stem: 题干。
          options: {A: 甲, B: 乙, C: 丙}
          answer: [A]
          law: xianfa
          article: 序言
        """,
        [(7, "q-1", "multiple_answer")],
        id="multiple-one-key",
    ),
    pytest.param(
        """
        - id: q-1
          type: multiple
          stem: 题干。
          options: {A: 甲, B: 乙, C: 丙}
          answer: [A, A]
          law: xianfa
          article: 序言
        """,
        [(7, "q-1", "answer_repeated")],
        id="multiple-repeated",
    ),
    pytest.param(
        """
        - id: q-1
          type: multiple
          stem: 题干。
          options: {A: 甲, B: 乙, C: 丙}
          answer:
            - A
            - D
          law: xianfa
          article: 序言
        """,
        [(7, "q-1", "answer_not_option")],
        id="multiple-not-an-option",
    ),
    pytest.param(
        """
        - id: q-1
          type: judge
          stem: 题干。
          answer: A
          law: xianfa
          article: 序言
        """,
        [(6, "q-1", "judge_answer")],
        id="judge-key",
    ),
    pytest.param(
        """
        - id: q-1
          type: judge
          stem: 题干。
          answer: "true"
          law: xianfa
          article: 序言
        """,
        [(6, "q-1", "judge_answer")],
        id="judge-quoted-true",
    ),
    pytest.param(
        """
        - id: q-1
          type: judge
          stem: 题干。
          answer: 1
          law: xianfa
          article: 序言
        """,
        [(6, "q-1", "judge_answer")],
        id="judge-number",
    ),
    pytest.param(
        """
        - id: q-1
          type: judge
          stem: 题干。
          law: xianfa
          article: 序言
        """,
        [(3, "q-1", "missing_field")],
        id="judge-missing",
    ),
]


@pytest.mark.parametrize(("body", "expected"), ANSWER_CASES)
def test_answers(body, expected):
    check(body, expected)


# ---- citations ----------------------------------------------------------------------------

CITATION_CASES = [
    pytest.param(
        """
        - id: q-1
          type: judge
          stem: 题干。
          answer: true
          article: 序言
        """,
        [(3, "q-1", "citation_required")],
        id="approved-without-law",
    ),
    pytest.param(
        """
        - id: q-1
          type: judge
          stem: 题干。
          answer: true
          law: xianfa
        """,
        [(3, "q-1", "citation_required")],
        id="approved-without-article",
    ),
    pytest.param(
        """
        - id: q-1
          type: judge
          stem: 题干。
          answer: true
          law: xianfa
          article: "  "
          status: approved
        """,
        [(8, "q-1", "citation_required")],
        id="approved-blank-article",
    ),
    pytest.param(
        """
        - id: q-1
          type: judge
          stem: 题干。
          answer: true
          status: draft
        """,
        [],
        id="draft-without-citation",
    ),
    pytest.param(
        """
        - id: q-1
          type: judge
          stem: 题干。
          answer: true
          law: xianfaa
          article: 序言
        """,
        [(7, "q-1", "unknown_law")],
        id="unknown-law",
    ),
    pytest.param(
        """
        - id: q-1
          type: judge
          stem: 题干。
          answer: true
          law: xianfaa
          status: draft
        """,
        [(7, "q-1", "unknown_law")],
        id="draft-unknown-law",
    ),
]


@pytest.mark.parametrize(("body", "expected"), CITATION_CASES)
def test_citations(body, expected):
    check(body, expected)


def test_unknown_law_suggests_the_nearest_id():
    body = """
        - id: q-1
          type: judge
          stem: 题干。
          answer: true
          law: xingzheng-chufaa
          article: 第一条
        """
    (error,) = load_topic(questions_file(body)).errors
    assert error.param_dict == {"law": "xingzheng-chufaa", "suggestion": "xingzheng-chufa"}


# ---- difficulty, tags, status -------------------------------------------------------------


def judge_with(extra: str) -> str:
    """A valid judge question (lines 3-8) followed by `extra` from line 9."""
    return (
        """
        - id: q-1
          type: judge
          stem: 题干。
          answer: true
          law: xianfa
          article: 序言
        """.rstrip(" ")
        + textwrap.indent(textwrap.dedent(extra).strip("\n"), " " * 10)
        + "\n"
    )


FIELD_CASES = [
    pytest.param(judge_with("difficulty: 1"), [], id="difficulty-1"),
    pytest.param(judge_with("difficulty: 5"), [], id="difficulty-5"),
    pytest.param(judge_with("difficulty: 0"), [(9, "q-1", "bad_difficulty")], id="difficulty-0"),
    pytest.param(judge_with("difficulty: 6"), [(9, "q-1", "bad_difficulty")], id="difficulty-6"),
    pytest.param(judge_with("difficulty: -1"), [(9, "q-1", "bad_difficulty")], id="difficulty-neg"),
    pytest.param(
        judge_with("difficulty: 2.5"), [(9, "q-1", "bad_difficulty")], id="difficulty-float"
    ),
    pytest.param(
        judge_with('difficulty: "3"'), [(9, "q-1", "bad_difficulty")], id="difficulty-text"
    ),
    pytest.param(
        judge_with("difficulty: true"), [(9, "q-1", "bad_difficulty")], id="difficulty-bool"
    ),
    pytest.param(judge_with("difficulty:"), [(9, "q-1", "bad_difficulty")], id="difficulty-null"),
    pytest.param(judge_with("tags: [总纲, 公民的基本权利]"), [], id="tags-valid"),
    pytest.param(judge_with("tags: 总纲"), [(9, "q-1", "bad_tags")], id="tags-text"),
    pytest.param(judge_with('tags: [总纲, ""]'), [(9, "q-1", "bad_tags")], id="tags-empty"),
    pytest.param(judge_with('tags: ["  "]'), [(9, "q-1", "bad_tags")], id="tags-blank"),
    pytest.param(judge_with("tags: [[总纲]]"), [(9, "q-1", "bad_tags")], id="tags-nested"),
    pytest.param(judge_with("tags: {总纲: 1}"), [(9, "q-1", "bad_tags")], id="tags-mapping"),
    pytest.param(judge_with("status: draft"), [], id="status-draft"),
    pytest.param(judge_with("status: retired"), [], id="status-retired"),
    pytest.param(judge_with("status: published"), [(9, "q-1", "bad_choice")], id="status-typo"),
    pytest.param(judge_with("status: Approved"), [(9, "q-1", "bad_choice")], id="status-case"),
    pytest.param(judge_with("status: [draft]"), [(9, "q-1", "bad_choice")], id="status-list"),
]


@pytest.mark.parametrize(("body", "expected"), FIELD_CASES)
def test_difficulty_tags_and_status(body, expected):
    check(body, expected)


def test_defaults_difficulty_3_and_status_approved():
    bank = load_topic(questions_file(judge_with("")))
    assert bank.errors == []
    (question,) = bank.questions
    assert question.content.difficulty == 3
    assert question.status == "approved"
    assert question.content.tags == ()
    assert question.content.explanation == ""


# ---- control characters -------------------------------------------------------------------

CONTROL_CASES = [
    pytest.param(
        """
        - id: q-1
          type: judge
          stem: "宪法\\a是根本法。"
          answer: true
          law: xianfa
          article: 序言
        """,
        [(5, "q-1", "control_character")],
        id="stem-bell",
    ),
    pytest.param(
        """
        - id: q-1
          type: judge
          stem: "宪法\\r\\n是根本法。"
          answer: true
          law: xianfa
          article: 序言
        """,
        [(5, "q-1", "control_character")],
        id="stem-carriage-return",
    ),
    pytest.param(
        """
        - id: q-1
          type: judge
          stem: "宪法\\x7f是根本法。"
          answer: true
          law: xianfa
          article: 序言
        """,
        [(5, "q-1", "control_character")],
        id="stem-delete",
    ),
    pytest.param(
        """
        - id: q-1
          type: judge
          stem: "宪法\\x9b是根本法。"
          answer: true
          law: xianfa
          article: 序言
        """,
        [(5, "q-1", "control_character")],
        id="stem-c1-control",
    ),
    pytest.param(
        """
        - id: q-1
          type: single
          stem: 题干。
          options:
            A: 甲
            B: "乙\\0"
          answer: A
          law: xianfa
          article: 序言
        """,
        [(8, "q-1", "control_character")],
        id="option",
    ),
    pytest.param(
        """
        - id: q-1
          type: judge
          stem: 题干。
          answer: true
          law: xianfa
          article: "第一条\\x1b"
        """,
        [(8, "q-1", "control_character")],
        id="article",
    ),
    pytest.param(
        """
        - id: q-1
          type: judge
          stem: 题干。
          answer: true
          law: xianfa
          article: 序言
          explanation: "见\\b序言。"
        """,
        [(9, "q-1", "control_character")],
        id="explanation",
    ),
    pytest.param(
        """
        - id: q-1
          type: judge
          stem: 题干。
          answer: true
          law: xianfa
          article: 序言
          tags: ["总纲\\x07"]
        """,
        [(9, "q-1", "control_character")],
        id="tag",
    ),
    pytest.param(
        """
        - id: q-1
          type: judge
          stem: "第一行\\n\\t第二行缩进"
          answer: true
          law: xianfa
          article: 序言
        """,
        [],
        id="newline-and-tab-allowed",
    ),
]


@pytest.mark.parametrize(("body", "expected"), CONTROL_CASES)
def test_control_characters(body, expected):
    check(body, expected)


def test_control_character_in_topic():
    text = 'topic: "测\\x07试"\nquestions: []\n'
    assert triples(load_topic(text).errors) == [(1, "", "control_character")]


def test_control_character_typed_raw_is_reported_on_its_line():
    text = questions_file(
        """
        - id: q-1
          type: judge
          stem: 宪法\x07是根本法。
          answer: true
          law: xianfa
          article: 序言
        """
    )
    errors = load_topic(text).errors
    assert [e.code for e in errors] in (["yaml_syntax"], ["control_character"])
    assert [e.line for e in errors] == [5]


# ---- YAML level: syntax and bombs -------------------------------------------------------

BILLION_LAUGHS = whole_file(
    """
    topic: 测试
    a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]
    b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]
    c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]
    d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]
    e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]
    f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]
    g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]
    h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g]
    i: &i [*h, *h, *h, *h, *h, *h, *h, *h, *h]
    questions: *i
    """
)

YAML_CASES = [
    pytest.param(
        whole_file(
            """
            topic: 测试
            questions:
              - id: q-1
                type: judge
                stem: 宪法: 根本法
                answer: true
            """
        ),
        [(5, "", "yaml_syntax")],
        id="colon-in-plain-text",
    ),
    pytest.param(
        whole_file(
            """
            topic: 测试
            questions:
              - id: q-1
                type: judge
                options: {A: 甲, B
                answer: true
            """
        ),
        [(6, "", "yaml_syntax")],
        id="unclosed-flow-mapping",
    ),
    pytest.param(
        "topic: 测试\nquestions:\n  - id: q-1\n\ttype: judge\n",
        [(4, "", "yaml_syntax")],
        id="tab-indentation",
    ),
    pytest.param(
        whole_file(
            """
            topic: 测试
            questions:
              - id: q-1
                type: judge
                stem: 甲
                stem: 乙
            """
        ),
        [(6, "", "yaml_duplicate_key")],
        id="duplicate-key",
    ),
    pytest.param(
        whole_file(
            """
            topic: 测试
            questions:
              - id: q-1
                type: judge
                stem: !!python/name:os.system 宪法
            """
        ),
        [(5, "", "yaml_tag")],
        id="python-tag-on-text",
    ),
    pytest.param(
        whole_file(
            """
            topic: 测试
            questions:
              - id: q-1
                type: single
                stem: 题干。
                options: !!python/object/apply:collections.OrderedDict {A: 甲, B: 乙}
                answer: A
                law: xianfa
                article: 序言
            """
        ),
        [(6, "", "yaml_tag")],
        id="python-tag-on-mapping",
    ),
    pytest.param(
        whole_file(
            """
            topic: 测试
            questions:
              - id: q-1
                type: multiple
                stem: 题干。
                options: {A: 甲, B: 乙, C: 丙}
                answer: !!python/tuple [A, B]
                law: xianfa
                article: 序言
            """
        ),
        [(7, "", "yaml_tag")],
        id="python-tag-on-list",
    ),
    pytest.param(
        whole_file(
            """
            topic: 测试
            questions:
              - id: q-1
                type: judge
                stem: &stem 宪法是根本法。
                answer: true
                law: xianfa
                article: 序言
              - id: q-2
                type: judge
                stem: *stem
                answer: false
                law: xianfa
                article: 序言
            """
        ),
        # The composer resolves the alias to the anchored node, so the line is the anchor's.
        [(5, "", "yaml_alias")],
        id="alias",
    ),
    pytest.param(
        whole_file(
            """
            topic: 测试
            questions:
              - &base
                id: q-1
                type: judge
                stem: 宪法是根本法。
                answer: true
                law: xianfa
                article: 序言
              - <<: *base
                id: q-2
            """
        ),
        [(10, "", "yaml_alias")],
        id="merge-key",
    ),
    pytest.param(BILLION_LAUGHS, [(2, "", "yaml_alias")], id="billion-laughs"),
    pytest.param(
        "topic: 测试\nquestions:\n  - id: q-1\n    stem: " + "[" * 20 + "x" + "]" * 20 + "\n",
        [(4, "", "yaml_too_deep")],
        id="deep-flow-nesting",
    ),
    pytest.param(
        "topic: 测试\nquestions:\n  - id: q-1\n    tags:\n"
        + "".join(" " * (6 + 2 * depth) + "-\n" for depth in range(15)),
        [(15, "", "yaml_too_deep")],
        id="deep-block-nesting",
    ),
    pytest.param("", [(1, "", "empty_file")], id="empty-file"),
    pytest.param("# 只有注释\n", [(1, "", "empty_file")], id="only-a-comment"),
    pytest.param("- id: q-1\n- id: q-2\n", [(1, "", "file_not_mapping")], id="a-list"),
    pytest.param(
        "\n\ntopic: 测试\nquestions: 无\n", [(4, "", "questions_not_list")], id="questions-text"
    ),
    pytest.param("questions: []\n", [(1, "", "missing_topic")], id="no-topic"),
    pytest.param(
        "topic: 测试\nquestions:\n  - 宪法是根本法\n",
        [(3, "", "question_not_mapping")],
        id="question-not-mapping",
    ),
]


@pytest.mark.parametrize(("text", "expected"), YAML_CASES)
def test_yaml_level(text, expected):
    bank = load_topic(text)
    assert triples(bank.errors) == expected
    assert bank.questions == []


def test_very_deep_nesting_is_refused_not_crashing():
    text = "topic: 测试\nquestions:\n  - id: q-1\n    stem: " + "[" * 50_000 + "]" * 50_000 + "\n"
    errors = load_topic(text).errors
    assert [(e.line, e.code in ("yaml_too_deep", "yaml_syntax")) for e in errors] == [(4, True)]


def test_oversized_file_is_refused():
    text = HEADER + "# " + "题" * (3 * 1024 * 1024) + "\n"  # 9 MB of UTF-8
    assert len(text.encode("utf-8")) > 8 * 1024 * 1024
    errors = load_topic(text).errors
    assert triples(errors) == [(1, "", "file_too_large")]
    assert errors[0].param_dict == {"limit": "8"}


# ---- laws.yaml ----------------------------------------------------------------------------

DUPLICATE_LAW = """
    laws:
      - id: xianfa
        title: 中华人民共和国宪法
        version: 2018修正
        effective: 2018-03-11
      - id: lifafa
        title: 中华人民共和国立法法
        version: 2023修正
        effective: 2023-03-15
      - id: xianfa
        title: 中华人民共和国宪法
        version: 2018修正
        effective: 2018-03-11
    """

LAW_CASES = [
    pytest.param(
        """
        laws:
          - id: xianfa
            title: 中华人民共和国宪法
            version: 2018修正
            effective: 2018-03-11
            status: amended
            replaced_by: xianfa-2028
          - id: xianfa-2028
            title: 中华人民共和国宪法
            version: 2028修正
            effective: 2028-03-11
        """,
        [],
        id="valid",
    ),
    pytest.param(
        """
        laws:
          - id: xianfa
            title: 中华人民共和国宪法
            version: 2018修正
            effective: 2018-13-11
        """,
        [(5, "xianfa", "bad_date")],
        id="bad-month",
    ),
    pytest.param(
        """
        laws:
          - id: xianfa
            title: 中华人民共和国宪法
            version: 2018修正
            effective: 2018-02-30
        """,
        [(5, "xianfa", "bad_date")],
        id="no-such-day",
    ),
    pytest.param(
        """
        laws:
          - id: xianfa
            title: 中华人民共和国宪法
            version: 2018修正
            effective: 2018年3月11日
        """,
        [(5, "xianfa", "bad_date")],
        id="chinese-date",
    ),
    pytest.param(
        """
        laws:
          - id: xianfa
            title: 中华人民共和国宪法
            version: 2018修正
            effective: 20180311
        """,
        [(5, "xianfa", "bad_date")],
        id="number-date",
    ),
    pytest.param(
        """
        laws:
          - id: xianfa
            title: 中华人民共和国宪法
            version: 2018修正
        """,
        [(2, "xianfa", "bad_date")],
        id="missing-date",
    ),
    pytest.param(
        DUPLICATE_LAW,
        [(10, "xianfa", "duplicate_law")],
        id="duplicate-law",
    ),
    pytest.param(
        """
        laws:
          - id: xianfa
            title: 中华人民共和国宪法
            version: 2018修正
            effective: 2018-03-11
            status: amended
            replaced_by: xianfa-2028
        """,
        [(2, "xianfa", "unknown_replacement")],
        id="unknown-replaced-by",
    ),
    pytest.param(
        """
        laws:
          - id: xianfa
            title: 中华人民共和国宪法
            version: 2018修正
            effective: 2018-03-11
            status: revoked
        """,
        [(6, "xianfa", "bad_choice")],
        id="bad-status",
    ),
    pytest.param(
        """
        laws:
          - id: xianfa
            titel: 中华人民共和国宪法
            version: 2018修正
            effective: 2018-03-11
        """,
        [(2, "xianfa", "missing_field"), (3, "xianfa", "unknown_field_suggest")],
        id="titel",
    ),
    pytest.param(
        """
        laws:
          - id: Xianfa
            title: 中华人民共和国宪法
            version: ""
            effective: 2018-03-11
        """,
        [(2, "Xianfa", "bad_id"), (4, "Xianfa", "missing_field")],
        id="bad-id-and-empty-version",
    ),
    pytest.param(
        """
        laws:
          - title: 中华人民共和国宪法
            version: 2018修正
            effective: 2018-03-11
        """,
        [(2, "", "missing_field")],
        id="missing-id",
    ),
    pytest.param(
        """
        laws:
          - id: xianfa
            title: "中华人民共和国\\x07宪法"
            version: 2018修正
            effective: 2018-03-11
        """,
        [(3, "xianfa", "control_character")],
        id="control-character-in-title",
    ),
    pytest.param(
        """
        laws:
          - xianfa
        """,
        [(2, "", "law_not_mapping")],
        id="law-not-mapping",
    ),
    pytest.param(
        """
        laws: xianfa
        """,
        [(1, "", "laws_not_list")],
        id="laws-not-list",
    ),
]


@pytest.mark.parametrize(("text", "expected"), LAW_CASES)
def test_laws_file(text, expected):
    _, errors = parse_laws("laws.yaml", whole_file(text))
    assert triples(errors) == sorted(expected)


def test_duplicate_law_names_the_first_line():
    _, errors = parse_laws("laws.yaml", whole_file(DUPLICATE_LAW))
    assert errors[0].param_dict == {"first_line": "2"}


def test_law_defaults_and_bare_numbers():
    laws, errors = parse_laws(
        "laws.yaml",
        whole_file(
            """
            laws:
              - id: xingzheng-qiangzhi
                title: 中华人民共和国行政强制法
                version: 2011
                effective: 2012-01-01
              - id: minfadian
                title: 中华人民共和国民法典
                version: 2020.10
                effective: "2021-01-01"
            """
        ),
    )
    assert errors == []
    assert laws["xingzheng-qiangzhi"] == core.Law(
        "xingzheng-qiangzhi", "中华人民共和国行政强制法", "2011", date(2012, 1, 1), "in_force", ""
    )
    assert laws["minfadian"].version == "2020.10"
    assert laws["minfadian"].effective == date(2021, 1, 1)


def test_a_bank_without_laws_yaml_is_refused():
    bank = load_bank([("t.yaml", questions_file(judge_with("")))])
    assert ("(bank)", 0, "no_laws_file") in [(e.path, e.line, e.code) for e in bank.errors]


# ---- all errors in one run ----------------------------------------------------------------


def test_every_error_in_a_file_is_reported_in_one_run():
    body = """
        - id: q-1
          type: single
          stem: 题干一。
          options: {A: 甲, B: 乙, D: 丁}
          answer: E
          law: xianfa
          article: 序言
        - id: q-2
          type: multiple
          stem: ""
          options: {A: 甲, B: 乙, C: 丙}
          answer: [A]
          law: xianfaa
          article: 第一条
          difficulty: 9
        - id: Q_3
          type: judge
          stem: 题干三。
          answer: 对
          anwser: true
          tags: 总纲
          status: published
        - id: q-4
          type: judge
          stem: 题干四。
          answer: false
          law: xianfa
          article: 第二条
        """
    bank = load_topic(questions_file(body))
    assert triples(bank.errors) == [
        (6, "q-1", "option_keys"),
        (7, "q-1", "answer_not_option"),
        (12, "q-2", "empty_text"),
        (14, "q-2", "multiple_answer"),
        (15, "q-2", "unknown_law"),
        (17, "q-2", "bad_difficulty"),
        (18, "Q_3", "bad_id"),
        (18, "Q_3", "citation_required"),
        (18, "Q_3", "citation_required"),
        (21, "Q_3", "judge_answer"),
        (22, "Q_3", "unknown_field_suggest"),
        (23, "Q_3", "bad_tags"),
        (24, "Q_3", "bad_choice"),
    ]
    assert [q.id for q in bank.questions] == ["q-4"]


def test_errors_in_laws_and_in_several_files_come_together():
    laws = (
        LAWS + "  - id: lifafa\n    title: 立法法\n    version: 2023\n    effective: 2023-02-30\n"
    )
    first = questions_file(judge_with("difficulty: 0"))
    second = questions_file(judge_with("status: publish").replace("q-1", "q-2"))
    bank = load_bank([("laws.yaml", laws), ("a.yaml", first), ("b.yaml", second)])
    assert sorted((e.path, e.line, e.question_id, e.code) for e in bank.errors) == [
        ("a.yaml", 9, "q-1", "bad_difficulty"),
        ("b.yaml", 9, "q-2", "bad_choice"),
        ("laws.yaml", 13, "lifafa", "bad_date"),
    ]


# ---- text kept exactly --------------------------------------------------------------------


def test_text_is_kept_exactly_as_written():
    body = """
        - id: q-1
          type: single
          stem: |
            依照《中华人民共和国憲法》規定，下列說法正確的是（　　）。
              甲、「國家」與“人民”；
            乙、<b> & "引号" # 不是注释
          options:
            A: " 前后有空格 "
            B: '单引号里的 # 与 : 号'
            C: "<script>alert('x')</script> & &amp;"
            D: 全角：，。；？！“”‘’【】
          answer: A
          law: xianfa
          article: 第二条第一款
          explanation: "第一行\\n第二行\\t制表"
          tags: [總綱, "a # b"]
        - id: q-2
          type: judge
          stem: >-
            折叠的
            一行
          answer: false
          law: xianfa
          article: 第三条
        """
    bank = load_topic(questions_file(body))
    assert bank.errors == []
    first, second = bank.questions
    assert first.content.stem == (
        "依照《中华人民共和国憲法》規定，下列說法正確的是（　　）。\n"
        "  甲、「國家」與“人民”；\n"
        '乙、<b> & "引号" # 不是注释\n'
    )
    assert first.content.options == (
        ("A", " 前后有空格 "),
        ("B", "单引号里的 # 与 : 号"),
        ("C", "<script>alert('x')</script> & &amp;"),
        ("D", "全角：，。；？！“”‘’【】"),
    )
    assert first.content.answer == ("A",)
    assert first.content.explanation == "第一行\n第二行\t制表"
    assert first.content.tags == ("總綱", "a # b")
    assert first.content.topic == "测试"
    assert (first.source, first.line) == ("t.yaml", 3)
    assert second.content.stem == "折叠的 一行"
    assert second.content.answer is False


def test_numbers_typed_bare_are_read_as_their_text():
    body = """
        - id: q-1
          type: single
          stem: 2021
          options:
            A: 10
            B: 010
            C: 1.50
          answer: C
          law: xianfa
          article: 12
          explanation: 3.0
        - id: q-2
          type: judge
          stem: 题干。
          answer: true
          law: xianfa
          article: 0.5
        """
    bank = load_topic(questions_file(body))
    assert bank.errors == []
    first, second = bank.questions
    assert first.content.stem == "2021"
    assert first.content.options == (("A", "10"), ("B", "010"), ("C", "1.50"))
    assert first.content.article == "12"
    assert first.content.explanation == "3.0"
    assert second.content.article == "0.5"


def test_multiple_answer_is_stored_in_key_order():
    body = """
        - id: q-1
          type: multiple
          stem: 题干。
          options: {A: 甲, B: 乙, C: 丙, D: 丁}
          answer: [D, B]
          law: xianfa
          article: 序言
        """
    (question,) = load_topic(questions_file(body)).questions
    assert question.content.answer == ("B", "D")
