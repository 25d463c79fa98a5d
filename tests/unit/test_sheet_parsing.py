"""Question spreadsheets in the core: notations, type inference, tags, and row/column errors."""

from __future__ import annotations

from datetime import date

import pytest

from app.domain.bank import ID_PATTERN, Law
from app.domain.sheets import (
    TEMPLATE_HEADERS,
    answer_keys,
    field_for,
    id_prefix_for,
    infer_type,
    join_tags,
    judge_value,
    parse_question_rows,
    question_row,
    split_tags,
)

LAWS = {
    "xianfa": Law("xianfa", "中华人民共和国宪法", "2018修正", date(2018, 3, 11)),
    "xingzheng-fuyi-2017": Law(
        "xingzheng-fuyi-2017",
        "中华人民共和国行政复议法",
        "2017修正",
        date(2018, 1, 1),
        status="amended",
        replaced_by="xingzheng-fuyi",
    ),
    "xingzheng-fuyi": Law(
        "xingzheng-fuyi", "中华人民共和国行政复议法", "2023修订", date(2024, 1, 1)
    ),
}
OPTIONS = ["全国人民代表大会", "国务院", "最高人民法院", "最高人民检察院"]
HEADER = ["编号", "题型", "题干", "选项A", "选项B", "选项C", "选项D", "答案", "法律", "条款"]


def parse(rows, *, header=HEADER, mapping=None, topic="宪法", prefix="t", source="t.csv"):
    return parse_question_rows(
        [header, *rows],
        laws=LAWS,
        mapping=mapping,
        default_topic=topic,
        id_prefix=prefix,
        source=source,
    )


def one(row, **kwargs):
    """The single question a one-row sheet gives; fails with the errors otherwise."""
    questions, errors = parse([row], **kwargs)
    assert errors == []
    assert len(questions) == 1
    return questions[0]


def where(errors):
    """(row, code, column) of each error: what a person needs to find the cell."""
    return {(e.line, e.code, e.param_dict.get("column", "")) for e in errors}


# ---- notations ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "keys"),
    [
        ("ACD", ("A", "C", "D")),
        ("A,C,D", ("A", "C", "D")),
        ("A, C, D", ("A", "C", "D")),
        ("A、C、D", ("A", "C", "D")),
        ("A，C，D", ("A", "C", "D")),
        ("A;C;D", ("A", "C", "D")),
        ("A C D", ("A", "C", "D")),
        ("acd", ("A", "C", "D")),
        ("ＡＣＤ", ("A", "C", "D")),
        ("ａ，ｃ，ｄ", ("A", "C", "D")),
        (" DCA ", ("A", "C", "D")),
        ("BD", ("B", "D")),
    ],
)
def test_multiple_answer_notations_infer_a_multiple_question(typed, keys):
    question = one(["", "", "下列哪些机关……", *OPTIONS, typed, "", ""])
    assert question.content.type == "multiple"
    assert question.content.answer == keys


@pytest.mark.parametrize("typed", ["B", "b", " B ", "Ｂ", "ｂ"])
def test_one_key_infers_a_single_question(typed):
    question = one(["", "", "下列哪个机关……", *OPTIONS, typed, "", ""])
    assert question.content.type == "single"
    assert question.content.answer == ("B",)


@pytest.mark.parametrize(
    ("typed", "value"),
    [
        ("正确", True),
        ("错误", False),
        ("对", True),
        ("错", False),
        ("√", True),
        ("×", False),
        ("T", True),
        ("F", False),
        ("t", True),
        ("f", False),
        ("Ｔ", True),
        ("TRUE", True),  # an Excel boolean cell reads back as TRUE / FALSE
        ("False", False),
        (" 正确 ", True),
    ],
)
def test_judge_notations_infer_a_judge_question(typed, value):
    question = one(["", "", "宪法是国家的根本法。", "", "", "", "", typed, "", ""])
    assert question.content.type == "judge"
    assert question.content.answer is value
    assert question.content.options == ()


@pytest.mark.parametrize(
    ("typed", "qtype"),
    [
        ("单选", "single"),
        ("单选题", "single"),
        ("single", "single"),
        ("Single", "single"),
        ("单项选择题", "single"),
        ("多选", "multiple"),
        ("多选题", "multiple"),
        ("multiple", "multiple"),
        ("判断", "judge"),
        ("判断题", "judge"),
        ("judge", "judge"),
        (" 判 断 题 ", "judge"),
    ],
)
def test_type_names(typed, qtype):
    answer = {"single": "A", "multiple": "AB", "judge": "对"}[qtype]
    options = OPTIONS if qtype != "judge" else ["", "", "", ""]
    question = one(["", typed, "题干", *options, answer, "", ""])
    assert question.content.type == qtype


def test_letter_f_is_an_option_when_the_row_has_options():
    options = ["甲", "乙", "丙", "丁", "戊", "己"]
    header = [*HEADER[:7], "选项E", "选项F", *HEADER[7:]]
    question = one(["", "", "题干", *options, "F", "", ""], header=header)
    assert question.content.type == "single"
    assert question.content.answer == ("F",)
    assert judge_value("F") is False and answer_keys("F") == ("F",)
    assert infer_type("F", has_options=True) == "single"
    assert infer_type("F", has_options=False) == "judge"


@pytest.mark.parametrize(
    ("qtype", "options", "typed", "value"),
    [
        ("判断", ["正确", "错误"], "A", True),
        ("判断", ["正确", "错误"], "ｂ", False),
        ("", ["正确", "错误"], "A", True),
        ("", ["对", "错"], "B", False),
        ("", ["√", "×"], "错误", False),
    ],
)
def test_judge_written_with_true_false_options_reads_a_and_b_as_the_key(
    qtype, options, typed, value
):
    question = one(["", qtype, "宪法是根本法。", *options, "", "", typed, "", ""])
    assert question.content.type == "judge"
    assert question.content.answer is value
    assert question.content.options == ()


def test_the_type_column_wins_over_inference():
    questions, errors = parse([["", "多选", "题干", *OPTIONS, "A", "", ""]])
    assert questions == []
    assert where(errors) == {(2, "multiple_answer", "答案")}


@pytest.mark.parametrize(
    ("cell", "tags"),
    [
        ("总纲", ["总纲"]),
        ("总纲,国家机构", ["总纲", "国家机构"]),
        ("总纲，国家机构", ["总纲", "国家机构"]),
        ("总纲、国家机构", ["总纲", "国家机构"]),
        ("总纲;国家机构", ["总纲", "国家机构"]),
        ("总纲；国家机构", ["总纲", "国家机构"]),
        (" 总纲 ， 国家  机构 ,", ["总纲", "国家 机构"]),
        # Once a semicolon separates tags, a comma or 、 inside one is part of it.
        ("查封、扣押；行政强制", ["查封、扣押", "行政强制"]),
        ("查封、扣押；", ["查封、扣押"]),
        ("", []),
    ],
)
def test_tags_split(cell, tags):
    assert split_tags(cell) == tags


@pytest.mark.parametrize(
    "tags", [(), ("总纲",), ("总纲", "国家机构"), ("查封、扣押",), ("查封、扣押", "行政强制")]
)
def test_tags_written_by_export_read_back_the_same(tags):
    assert tuple(split_tags(join_tags(tags))) == tags


# ---- the rest of a row --------------------------------------------------------------------


def test_a_row_without_law_and_article_is_a_draft():
    assert one(["", "", "题干", *OPTIONS, "A", "", ""]).status == "draft"


def test_a_row_citing_a_law_is_approved_and_a_law_title_maps_to_its_id():
    for law in ("xianfa", "中华人民共和国宪法", "《中华人民共和国宪法》", "宪法"):
        question = one(["", "", "题干", *OPTIONS, "A", law, "第二条"])
        assert question.status == "approved"
        assert question.content.law == "xianfa"
        assert question.content.article == "第二条"


def test_a_title_shared_by_two_versions_maps_to_the_one_in_force():
    question = one(["", "", "题干", *OPTIONS, "A", "中华人民共和国行政复议法", "第一条"])
    assert question.content.law == "xingzheng-fuyi"


def test_law_without_article_and_unknown_law_name_their_columns():
    questions, errors = parse(
        [
            ["", "", "题干", *OPTIONS, "A", "xianfa", ""],
            ["", "", "题干", *OPTIONS, "A", "刑法", "第一条"],
        ]
    )
    assert questions == []
    assert where(errors) == {(2, "citation_required", "条款"), (3, "unknown_law", "法律")}


def test_difficulty_blank_is_three_and_out_of_range_is_an_error():
    header = [*HEADER, "难度"]
    assert one(["", "", "题干", *OPTIONS, "A", "", "", ""], header=header).content.difficulty == 3
    assert one(["", "", "题干", *OPTIONS, "A", "", "", "５"], header=header).content.difficulty == 5
    _, errors = parse(
        [
            ["", "", "题干", *OPTIONS, "A", "", "", "6"],
            ["", "", "题干", *OPTIONS, "A", "", "", "难"],
        ],
        header=header,
    )
    assert where(errors) == {(2, "bad_difficulty", "难度"), (3, "bad_difficulty", "难度")}


def test_status_column_in_chinese_or_english():
    header = [*HEADER, "状态"]
    for cell, status in (("草稿", "draft"), ("approved", "approved"), ("已停用", "retired")):
        row = ["", "", "题干", *OPTIONS, "A", "xianfa", "第二条", cell]
        assert one(row, header=header).status == status
    _, errors = parse([["", "", "题干", *OPTIONS, "A", "xianfa", "第二条", "好"]], header=header)
    assert where(errors) == {(2, "sheet_bad_status", "状态")}


def test_an_approved_row_must_cite_a_law():
    header = [*HEADER, "状态"]
    _, errors = parse([["", "", "题干", *OPTIONS, "A", "", "", "已审核"]], header=header)
    assert where(errors) == {(2, "citation_required", "法律"), (2, "citation_required", "条款")}


def test_cells_are_trimmed_but_stems_and_options_keep_inner_newlines():
    stem = "  甲向乙借款。\r\n关于本案，下列说法正确的是？\n"
    question = one(["  t-1 ", " 单选 ", stem, " 甲\n乙 ", "丙", "丁", "戊", " A ", "", ""])
    assert question.id == "t-1"
    assert question.content.stem == "甲向乙借款。\n关于本案，下列说法正确的是？"
    assert question.content.options[0] == ("A", "甲\n乙")


def test_english_field_names_are_headers_too():
    header = ["id", "type", "stem", "option_a", "option_b", "answer", "law", "article", "topic"]
    question = one(
        ["q-1", "single", "题干", "甲", "乙", "B", "xianfa", "第一条", "宪法"], header=header
    )
    assert (question.id, question.content.answer, question.content.topic) == ("q-1", ("B",), "宪法")
    assert field_for("选项 a") == "option_a" and field_for("状态") == "status"
    assert field_for("input") is None


def test_missing_topic_takes_the_default():
    header = [*HEADER, "主题"]
    questions, _ = parse(
        [
            ["", "", "题干", *OPTIONS, "A", "", "", ""],
            ["", "", "题干", *OPTIONS, "B", "", "", "民法"],
        ],
        header=header,
        topic="宪法",
    )
    assert [q.content.topic for q in questions] == ["宪法", "民法"]


# ---- errors name the row and the column ---------------------------------------------------


def test_every_bad_cell_is_reported_with_its_row_and_column():
    rows = [
        ["", "", "好的题干", *OPTIONS, "A", "", ""],  # row 2: fine
        ["", "", "", *OPTIONS, "A", "", ""],  # row 3: no stem
        ["", "", "题干", *OPTIONS, "", "", ""],  # row 4: no answer
        ["", "", "题干", *OPTIONS, "甲", "", ""],  # row 5: unreadable answer
        ["", "选择", "题干", *OPTIONS, "A", "", ""],  # row 6: unknown type
        ["", "", "题干", "甲", "", "丙", "丁", "A", "", ""],  # row 7: option B missing
        ["", "", "题干", "甲", "乙", "甲", "丁", "A", "", ""],  # row 8: C repeats A
        ["", "", "题干", *OPTIONS, "AE", "", ""],  # row 9: no option E
        ["", "", "题干", *OPTIONS, "AAB", "", ""],  # row 10: A twice
        ["", "", "题干", *OPTIONS, "对", "", ""],  # row 11: judge key, but options
        ["Bad Id", "", "题干", *OPTIONS, "A", "", ""],  # row 12: id not a slug
        ["", "", "题\x1f干", *OPTIONS, "A", "", ""],  # row 13: control character
    ]
    questions, errors = parse(rows, source="题库.csv")
    assert [q.line for q in questions] == [2]
    assert where(errors) == {
        (3, "empty_text", "题干"),
        (4, "missing_value", "答案"),
        (5, "sheet_bad_answer", "答案"),
        (6, "sheet_bad_type", "题型"),
        (7, "empty_option", "选项B"),
        (8, "duplicate_option", "选项C"),
        (9, "answer_not_option", "答案"),
        (10, "answer_repeated", "答案"),
        (11, "judge_has_options", "选项A"),
        (12, "bad_id", "编号"),
        (13, "control_character", "题干"),
    }
    assert {e.path for e in errors} == {"题库.csv"}
    assert {e.question_id for e in errors if e.line == 4} == {"t-00004"}


def test_duplicate_ids_name_the_first_row():
    rows = [
        ["q-1", "", "题干一", *OPTIONS, "A", "", ""],
        ["q-2", "", "题干二", *OPTIONS, "A", "", ""],
        ["q-1", "", "题干三", *OPTIONS, "A", "", ""],
    ]
    questions, errors = parse(rows)
    assert [q.id for q in questions] == ["q-1", "q-2"]
    assert where(errors) == {(4, "sheet_duplicate_id", "编号")}
    assert errors[0].param_dict["first_row"] == "2"


def test_header_problems_are_reported_on_row_one():
    _, errors = parse([["题干", "A"]], header=["题目说明", "答案"])
    assert [(e.line, e.code, e.param_dict["field"]) for e in errors] == [
        (1, "sheet_missing_column", "题干")
    ]
    _, errors = parse([["a", "b", "A"]], header=["题干", "题 干", "答案"])
    assert where(errors) == {(1, "sheet_duplicate_column", "题 干")}
    _, errors = parse([["a", "A"]], header=["题干", "答案"], mapping={"stem": "input"})
    assert [e.code for e in errors] == ["sheet_mapped_column_missing"]
    _, errors = parse([["a", "A"]], header=["题干", "答案"], mapping={"问题": "题干"})
    assert [e.code for e in errors] == ["sheet_unknown_field"]
    assert [e.code for e in parse([], header=[])[1]] == ["empty_file"]
    assert [e.code for e in parse([], header=["", " "])[1]] == ["empty_file"]
    assert [e.code for e in parse([], header=["题干", "答案"])[1]] == ["no_rows"]


def test_mapping_reads_other_headers():
    header = ["input", "output", "A", "B", "C", "D", "source", "multichoice"]
    mapping = {"题干": "input", "answer": "output", "选项A": "A", "选项B": "B"}
    mapping |= {"option_c": "C", "选项D": "D"}
    question = one(["题干", "ACD", *OPTIONS, "exam", "True"], header=header, mapping=mapping)
    assert question.content.answer == ("A", "C", "D")
    assert question.status == "draft"


# ---- ids ----------------------------------------------------------------------------------


def test_generated_ids_are_the_file_row_numbers_and_stable():
    rows = [
        ["", "", "题干一", *OPTIONS, "A", "", ""],
        ["", "", "", "", "", "", "", "", "", ""],  # a blank row is skipped, not renumbered
        ["", "", "题干二", *OPTIONS, "B", "", ""],
    ]
    first, _ = parse(rows, prefix="mcq-sing-lbk")
    again, _ = parse(rows, prefix="mcq-sing-lbk")
    assert [q.id for q in first] == ["mcq-sing-lbk-00002", "mcq-sing-lbk-00004"]
    assert [q.id for q in again] == [q.id for q in first]
    assert [q.line for q in first] == [2, 4]


@pytest.mark.parametrize(
    ("name", "prefix"),
    [
        ("mcq_sing_lbk.csv", "mcq-sing-lbk"),
        ("Bank 2024 (final).XLSX", "bank-2024-final"),
        ("/tmp/宪法 题库 v2.xlsx", "v2"),
    ],
)
def test_id_prefix_is_a_slug_of_the_file_name(name, prefix):
    assert id_prefix_for(name) == prefix


def test_id_prefix_of_a_chinese_name_is_stable_and_valid():
    prefix = id_prefix_for("宪法题库.xlsx")
    assert prefix == id_prefix_for("宪法题库.xlsx") != id_prefix_for("民法题库.xlsx")
    assert ID_PATTERN.match(prefix) and prefix.startswith("sheet-")
    assert len(id_prefix_for("x" * 200 + ".csv")) == 58


def test_a_bad_id_prefix_is_refused():
    _, errors = parse([["", "", "题干", *OPTIONS, "A", "", ""]], prefix="Bad_Prefix")
    assert [e.code for e in errors] == ["sheet_bad_id_prefix"]


# ---- writing ------------------------------------------------------------------------------


def test_a_written_row_reads_back_as_the_same_question():
    header = list(TEMPLATE_HEADERS)
    options = dict(zip(("选项A", "选项B", "选项C", "选项D"), OPTIONS, strict=True))
    cells = [
        {"编号": "x-1", "题型": "单选", "题干": "题干\n第二行", **options, "答案": "B"}
        | {"解析": "解析", "难度": "2", "法律": "宪法", "条款": "第二条", "主题": "宪法"}
        | {"标签": "总纲；国家机构", "状态": "已审核"},
        {"编号": "x-2", "题型": "多选", "题干": "题干", **options, "答案": "A、C"}
        | {"主题": "宪法", "标签": "查封、扣押；"},
        {"编号": "x-3", "题型": "判断", "题干": "题干", "答案": "×", "难度": "5"}
        | {"法律": "xianfa", "条款": "第一条", "主题": "宪法", "状态": "待复核"},
    ]
    rows = [[row.get(name, "") for name in header] for row in cells]
    questions, errors = parse(rows, header=header)
    assert errors == []
    again, errors = parse([question_row(q) for q in questions], header=header)
    assert errors == []
    assert [(q.id, q.status, q.content) for q in again] == [
        (q.id, q.status, q.content) for q in questions
    ]
    assert [q.status for q in again] == ["approved", "draft", "needs_review"]
