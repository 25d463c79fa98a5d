"""Question spreadsheets (XLSX, CSV): rows of text -> validated questions, and back.

The template is one question per row under a header of Chinese column names
(English field names are accepted too). Cells hold what examiners actually
type: answers such as `ACD`, `A,C,D` or `A、C、D`, judge keys such as 正确/错误,
对/错, √/× or T/F. Each row is checked by the same rules as a YAML question
(app.domain.bank.check_question); every problem is reported as a BankError
whose line is the row number (the header is row 1) and whose "column" param
is the header as written in the file.

Importing a sheet is all or nothing, like a YAML bank: callers import only
when the error list is empty.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from app.domain.bank import (
    DEFAULT_DIFFICULTY,
    ID_PATTERN,
    MAX_ID_LENGTH,
    OPTION_KEYS,
    BankError,
    Law,
    Question,
    check_question,
)
from app.domain.tables import match_headers, normalise_header

OPTION_FIELDS = tuple(f"option_{key.lower()}" for key in OPTION_KEYS)

# field -> its template header first, then the other names accepted in a header row
SHEET_FIELDS: dict[str, tuple[str, ...]] = {
    "id": ("编号", "id", "题号"),
    "type": ("题型", "type"),
    "stem": ("题干", "stem", "题目"),
    **{name: (f"选项{name[-1].upper()}", name) for name in OPTION_FIELDS},
    "answer": ("答案", "answer", "正确答案"),
    "explanation": ("解析", "explanation", "答案解析"),
    "difficulty": ("难度", "difficulty"),
    "law": ("法律", "law", "法律法规"),
    "article": ("条款", "article", "法条"),
    "topic": ("主题", "topic"),
    "tags": ("标签", "tags"),
    "status": ("状态", "status"),
}
TEMPLATE_HEADERS = tuple(names[0] for names in SHEET_FIELDS.values())
REQUIRED_FIELDS = ("stem", "answer")
# Stems, options and explanations keep their inner line breaks; other cells are one line.
MULTILINE_FIELDS = ("stem", *OPTION_FIELDS, "explanation")

TYPE_LABELS = {"single": "单选", "multiple": "多选", "judge": "判断"}
TYPE_NAMES = {
    **dict.fromkeys(("单选", "单选题", "单项选择", "单项选择题", "single"), "single"),
    **dict.fromkeys(("多选", "多选题", "多项选择", "多项选择题", "multiple"), "multiple"),
    **dict.fromkeys(("判断", "判断题", "judge"), "judge"),
}
STATUS_LABELS = {
    "draft": "草稿",
    "approved": "已审核",
    "retired": "已停用",
    "needs_review": "待复核",
}
STATUS_NAMES = {
    **{label: status for status, label in STATUS_LABELS.items()},
    **{status: status for status in STATUS_LABELS},
    "审核通过": "approved",
    "停用": "retired",
}
JUDGE_LABELS = {True: "正确", False: "错误"}
JUDGE_WORDS = {
    **dict.fromkeys(("正确", "对", "√", "✓", "✔", "t", "true"), True),
    **dict.fromkeys(("错误", "错", "×", "✗", "✘", "f", "false"), False),
}
# Keys may be run together (ACD) or separated by commas, 、, semicolons or spaces.
ANSWER_SEPARATORS = re.compile(r"[,、;\s]+")
ANSWER_KEYS = re.compile(f"[{OPTION_KEYS}]+")
# Semicolons outrank commas and 、: a tag such as 查封、扣押 survives when tags are
# separated by ；, which is how exports write them.
TAG_STRONG_SEPARATORS = re.compile(r"[;；]")
TAG_SEPARATORS = re.compile(r"[,，、;；]")
TAG_JOINER = "；"
LAW_TITLE_PREFIX = "中华人民共和国"

ANSWER_CODES = (
    "judge_answer",
    "single_answer",
    "multiple_answer",
    "answer_repeated",
    "answer_not_option",
)
OPTIONS_CODES = ("option_keys", "option_count", "options_not_mapping", "judge_has_options")
FIELD_BY_CODE = {
    "bad_id": "id",
    "unknown_law": "law",
    "bad_difficulty": "difficulty",
    "bad_tags": "tags",
    "missing_topic": "topic",
    **dict.fromkeys(ANSWER_CODES, "answer"),
}


# ---- cell notations -----------------------------------------------------------------------


def field_for(name: str) -> str | None:
    """The field a header or field name stands for (题干, stem, 选项A ...), or None."""
    key = normalise_header(name)
    for field_name, names in SHEET_FIELDS.items():
        if key in (normalise_header(alias) for alias in names):
            return field_name
    return None


def _fold(text: str) -> str:
    """Full-width letters, digits and commas as ASCII, no spaces at the ends, lower case."""
    return unicodedata.normalize("NFKC", text).strip().casefold()


def parse_type(text: str) -> str | None:
    """single, multiple or judge from 单选/单选题/single ...; None when unknown."""
    return TYPE_NAMES.get("".join(_fold(text).split()))


def parse_status(text: str) -> str | None:
    """A question status from its Chinese label or English name; None when unknown."""
    return STATUS_NAMES.get("".join(_fold(text).split()))


def judge_value(text: str) -> bool | None:
    """True or False from 正确/错误, 对/错, √/×, T/F, true/false; None otherwise."""
    return JUDGE_WORDS.get(_fold(text))


def answer_keys(text: str) -> tuple[str, ...] | None:
    """Option keys as written (ACD, A,C,D, A、C、D, a c d, full-width); None when unreadable.

    Repeats are kept so that the validator can report them.
    """
    joined = ANSWER_SEPARATORS.sub("", _fold(text)).upper()
    if not ANSWER_KEYS.fullmatch(joined):
        return None
    return tuple(joined)


def infer_type(answer: str, has_options: bool) -> str | None:
    """The type a row's answer implies when the sheet does not say: judge notation -> judge,
    two or more keys -> multiple, one key -> single; None when the answer is unreadable."""
    keys = answer_keys(answer)
    # F is both option F and "false": with options on the row it is an option.
    if keys is not None and (has_options or judge_value(answer) is None):
        return "multiple" if len(keys) >= 2 else "single"
    if judge_value(answer) is not None:
        return "judge"
    return None


def split_tags(text: str) -> list[str]:
    """Tags from one cell, split on ； or ; when present, otherwise also on , ， and 、."""
    pattern = TAG_STRONG_SEPARATORS if TAG_STRONG_SEPARATORS.search(text) else TAG_SEPARATORS
    return [" ".join(part.split()) for part in pattern.split(text) if part.strip()]


def join_tags(tags: tuple[str, ...]) -> str:
    """One cell that split_tags reads back as exactly `tags`."""
    text = TAG_JOINER.join(tags)
    if len(tags) == 1 and TAG_SEPARATORS.search(text):
        text += TAG_JOINER  # a lone tag containing 、 must not be split on it
    return text


def id_prefix_for(filename: str) -> str:
    """A stable id prefix from a file name: mcq_sing_lbk.csv -> mcq-sing-lbk.

    A name with no Latin letters or digits (宪法题库.xlsx) gets `sheet-` and a
    short hash of the name, so that re-importing the same file gives the same ids.
    """
    stem = filename.rsplit("/", 1)[-1].rsplit("\\", 1)[-1]
    stem = stem.rsplit(".", 1)[0] if "." in stem else stem
    slug = re.sub(r"[^a-z0-9]+", "-", _fold(stem)).strip("-")
    if not slug:
        slug = "sheet-" + hashlib.sha1(stem.encode("utf-8")).hexdigest()[:8]
    # room for "-" and a five-digit row number within the id length limit
    return slug[: MAX_ID_LENGTH - 6].rstrip("-")


def _multiline(text: str) -> str:
    # Windows line ends inside cells would be control characters to the validator.
    return text.replace("\r\n", "\n").replace("\r", "\n").strip()


def _line(text: str) -> str:
    return " ".join(text.split())


# ---- reading ------------------------------------------------------------------------------


@dataclass
class _Row:
    """One data row being read: its cells, and the errors found so far by field."""

    number: int
    cells: dict[str, str]
    errors: list[tuple[str, str, dict[str, object]]] = field(default_factory=list)

    def cell(self, name: str) -> str:
        return self.cells.get(name, "")

    def add(self, field_name: str, code: str, **params: object) -> None:
        self.errors.append((field_name, code, params))


def _law_names(laws: dict[str, Law]) -> dict[str, set[str]]:
    """Titles a sheet may name a law by: with or without 《》 and the 中华人民共和国 prefix."""
    names: dict[str, set[str]] = defaultdict(set)
    for law in laws.values():
        title = "".join(law.title.split()).strip("《》")
        for name in (title, title.removeprefix(LAW_TITLE_PREFIX)):
            if name:
                names[name].add(law.id)
    return names


def _resolve_law(text: str, laws: dict[str, Law], names: dict[str, set[str]], row: _Row) -> str:
    """The law id a cell names; unknown names pass through for the validator to report."""
    if not text or text in laws:
        return text
    ids = names.get("".join(unicodedata.normalize("NFKC", text).split()).strip("《》"), set())
    if len(ids) > 1:
        in_force = [law_id for law_id in ids if laws[law_id].status == "in_force"]
        if len(in_force) == 1:
            return in_force[0]
        row.add("law", "sheet_ambiguous_law", law=text, ids=", ".join(sorted(ids)))
        return text
    return next(iter(ids)) if ids else text


def _columns(
    header: list[str], mapping: dict[str, str], source: str
) -> tuple[dict[str, int], list[BankError]]:
    """Which column holds each field, given the header and the --map choices."""
    errors: list[BankError] = []
    aliases = dict(SHEET_FIELDS)
    mapped: dict[str, str] = {}
    for name, column in mapping.items():
        field_name = field_for(name)
        if field_name is None:
            errors.append(BankError(source, 1, "sheet_unknown_field", params=(("field", name),)))
            continue
        mapped[field_name] = column
    # A mapped column belongs to its field alone, even if it is another field's usual name.
    taken = {normalise_header(column) for column in mapped.values()}
    for field_name, names in aliases.items():
        aliases[field_name] = tuple(name for name in names if normalise_header(name) not in taken)
    for field_name, column in mapped.items():
        aliases[field_name] = (column,)
    columns, unmatched = match_headers(header, aliases)
    lookup = {normalise_header(name): f for f, names in aliases.items() for name in names}
    for field_name, column in mapped.items():
        if field_name not in columns:
            errors.append(
                BankError(
                    source,
                    1,
                    "sheet_mapped_column_missing",
                    params=(("field", SHEET_FIELDS[field_name][0]), ("name", column)),
                )
            )
    for text in unmatched:
        twin = lookup.get(normalise_header(text))
        if twin is not None:
            first = str(header[columns[twin]]).strip()
            errors.append(
                BankError(
                    source,
                    1,
                    "sheet_duplicate_column",
                    params=(
                        ("field", SHEET_FIELDS[twin][0]),
                        ("first", first),
                        ("column", text.strip()),
                    ),
                )
            )
    for field_name in REQUIRED_FIELDS:
        if field_name not in columns and field_name not in mapped:
            errors.append(
                BankError(
                    source,
                    1,
                    "sheet_missing_column",
                    params=(
                        ("field", SHEET_FIELDS[field_name][0]),
                        ("names", " / ".join(SHEET_FIELDS[field_name])),
                    ),
                )
            )
    return columns, errors


def parse_question_rows(
    rows: list[list[str]],
    *,
    laws: dict[str, Law],
    mapping: dict[str, str] | None = None,
    default_topic: str,
    id_prefix: str,
    source: str,
) -> tuple[list[Question], list[BankError]]:
    """Turn sheet rows (the first is the header) into questions, or list every problem.

    `mapping` maps a field (题干 or stem) to the header of the column that holds it.
    Rows without an id get `<id_prefix>-<row number>`, stable across re-imports;
    rows without a law and article are drafts; rows without a topic get `default_topic`.
    """
    if not rows or not any(str(cell).strip() for cell in rows[0]):
        return [], [BankError(source, 1, "empty_file")]
    if not ID_PATTERN.match(id_prefix) or len(id_prefix) > MAX_ID_LENGTH - 6:
        return [], [BankError(source, 1, "sheet_bad_id_prefix", params=(("prefix", id_prefix),))]
    header = [str(cell) for cell in rows[0]]
    columns, errors = _columns(header, mapping or {}, source)
    if errors:
        return [], errors
    header_of = {name: header[index].strip() for name, index in columns.items()}
    law_names = _law_names(laws)

    questions: list[Question] = []
    first_row: dict[str, int] = {}
    for offset, raw in enumerate(rows[1:]):
        number = offset + 2
        cells = {
            name: str(raw[index]) if index < len(raw) and raw[index] is not None else ""
            for name, index in columns.items()
        }
        if not any(value.strip() for value in cells.values()):
            continue  # blank lines between blocks are common in hand-kept sheets
        row = _Row(number, cells)
        data, topic = _row_data(row, laws, law_names, default_topic, id_prefix)
        question, check_errors = check_question(data, topic, laws)
        qid = data["id"]
        row_errors = _merge_errors(row, check_errors, data)
        if qid in first_row:
            row_errors.append(
                ("id", "sheet_duplicate_id", {"id": qid, "first_row": first_row[qid]})
            )
        else:
            first_row[qid] = number
        for field_name, code, params in row_errors:
            values = [(key, str(value)) for key, value in params.items()]
            if field_name in header_of and (field_name != "id" or row.cell("id").strip()):
                values.append(("column", header_of[field_name]))
            errors.append(BankError(source, number, code, qid, tuple(values)))
        if question is not None and not row_errors:
            questions.append(Question(qid, question.content, question.status, source, number))
    if not questions and not errors:
        errors.append(BankError(source, 1, "no_rows"))
    return questions, errors


def _row_data(
    row: _Row,
    laws: dict[str, Law],
    law_names: dict[str, set[str]],
    default_topic: str,
    id_prefix: str,
) -> tuple[dict[str, Any], str]:
    """The row as the plain mapping check_question reads, and its topic."""
    text = {
        name: _multiline(value) if name in MULTILINE_FIELDS else _line(value)
        for name, value in row.cells.items()
    }
    qid = text.get("id") or f"{id_prefix}-{row.number:05d}"
    options = _options(text)
    answer_text = text.get("answer", "")
    if not answer_text:
        row.add("answer", "missing_value")

    type_text = text.get("type", "")
    qtype: str | None
    if type_text:
        qtype = parse_type(type_text)
        if qtype is None:
            row.add("type", "sheet_bad_type", value=type_text)
    elif _is_true_false(options):
        qtype = "judge"
    else:
        qtype = infer_type(answer_text, bool(options)) if answer_text else None
        if qtype is None and answer_text:
            row.add("answer", "sheet_bad_answer", value=answer_text)
        if qtype is None:
            # Guess from the options so that the rest of the row is still checked.
            qtype = "single" if options else "judge"

    data: dict[str, Any] = {"id": qid, "type": qtype if qtype is not None else type_text}
    data["stem"] = text.get("stem", "")
    if qtype == "judge" and _is_true_false(options):
        # Some sheets write a judge question as options A 正确 and B 错误, keyed A or B.
        options = {}
        if judge_value(answer_text) is None and answer_keys(answer_text) in (("A",), ("B",)):
            answer_text = JUDGE_LABELS[answer_keys(answer_text) == ("A",)]
    if options:
        data["options"] = options
    data["answer"] = _answer_value(qtype, answer_text)

    law = _resolve_law(text.get("law", ""), laws, law_names, row)
    article = text.get("article", "")
    status_text = text.get("status", "")
    status = parse_status(status_text) if status_text else None
    if status_text and status is None:
        row.add("status", "sheet_bad_status", value=status_text)
    if status is None:
        status = "approved" if law or article else "draft"
    data.update(
        law=law,
        article=article,
        explanation=text.get("explanation", ""),
        difficulty=_difficulty(text.get("difficulty", "")),
        tags=split_tags(text.get("tags", "")),
        status=status,
    )
    return data, text.get("topic") or default_topic


def _options(text: dict[str, str]) -> dict[str, str]:
    """Options A.. up to the last filled one; gaps stay as empty text so they are reported."""
    filled = [index for index, name in enumerate(OPTION_FIELDS) if text.get(name)]
    if not filled:
        return {}
    return {OPTION_KEYS[i]: text.get(OPTION_FIELDS[i], "") for i in range(filled[-1] + 1)}


def _is_true_false(options: dict[str, str]) -> bool:
    values = [judge_value(value) for value in options.values()]
    return values == [True, False]


def _answer_value(qtype: str | None, answer: str) -> Any:
    """The answer in the YAML shape for `qtype`; text the validator will refuse otherwise."""
    if qtype == "judge":
        value = judge_value(answer)
        return answer if value is None else value
    keys = answer_keys(answer)
    if keys is None:
        return answer
    if qtype == "single" and len(keys) == 1:
        return keys[0]
    if qtype == "multiple" and len(keys) >= 2:
        return list(keys)
    return answer


def _difficulty(text: str) -> int | str:
    value = unicodedata.normalize("NFKC", text).strip()
    if not value:
        return DEFAULT_DIFFICULTY
    if re.fullmatch(r"\d+(\.0+)?", value):
        return int(float(value))
    return value


def _merge_errors(
    row: _Row, check_errors: list[BankError], data: dict[str, Any]
) -> list[tuple[str, str, dict[str, object]]]:
    """The row's own errors, then the validator's on fields that have none yet (one per cell)."""
    merged = list(row.errors)
    seen = {field_name for field_name, _, _ in row.errors}
    for error in check_errors:
        field_name = _field_of(error, data)
        if field_name in seen:
            continue
        merged.append((field_name, error.code, dict(error.params)))
    return merged


def _field_of(error: BankError, data: dict[str, Any]) -> str:
    """The sheet field a validator error is about, so that it can name the column."""
    params = error.param_dict
    name = params.get("field", "")
    if name.startswith("options."):
        return f"option_{name.split('.', 1)[1].lower()}"
    if name == "options" or error.code in OPTIONS_CODES:
        return OPTION_FIELDS[0]
    if error.code == "empty_option":
        return f"option_{params.get('key', 'a').lower()}"
    if error.code == "duplicate_option":
        seen = [
            key
            for key, text in (data.get("options") or {}).items()
            if text.strip() == params.get("text")
        ]
        return f"option_{seen[-1].lower()}" if seen else OPTION_FIELDS[0]
    if name:
        return name
    return FIELD_BY_CODE.get(error.code, "")


# ---- writing ------------------------------------------------------------------------------


def question_row(question: Question) -> list[str | int]:
    """The question as one template row, in TEMPLATE_HEADERS order."""
    content = question.content
    options = dict(content.options)
    if isinstance(content.answer, bool):
        answer = JUDGE_LABELS[content.answer]
    else:
        answer = "".join(content.answer)
    return [
        question.id,
        TYPE_LABELS[content.type],
        content.stem,
        *(options.get(key, "") for key in OPTION_KEYS),
        answer,
        content.explanation,
        content.difficulty,
        content.law,
        content.article,
        content.topic,
        join_tags(content.tags),
        STATUS_LABELS.get(question.status, question.status),
    ]
