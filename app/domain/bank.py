"""The question bank: YAML files -> validated laws and questions, and back.

Every problem is reported, not just the first, as a BankError that names the
file, the line, the question id and the rule broken. A bank with any error is
refused whole by the callers; nothing here touches a database.

The format (field names are a contract with banks written by others):

laws.yaml      laws: [{id, title, version, effective, status, replaced_by}]
<topic>.yaml   topic: <name>
               questions: [{id, type, stem, options, answer, law, article,
                            explanation, difficulty, tags, status}]
"""

from __future__ import annotations

import difflib
import hashlib
import json
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from app.domain.yamltree import LineDict, LineList, YamlTreeError, parse_tree, to_line_tree

QUESTION_TYPES = ("single", "multiple", "judge")
QUESTION_STATUSES = ("draft", "approved", "retired", "needs_review")
LAW_STATUSES = ("in_force", "amended", "repealed")
QUESTION_FIELDS = (
    "id",
    "type",
    "difficulty",
    "stem",
    "options",
    "answer",
    "law",
    "article",
    "explanation",
    "tags",
    "status",
)
LAW_FIELDS = ("id", "title", "version", "effective", "status", "replaced_by")
OPTION_KEYS = "ABCDEFGH"
OPTION_LIMITS = {"single": (2, 8), "multiple": (3, 8)}
ID_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
MAX_ID_LENGTH = 64
# Text may hold any character a person types, but not control characters
# other than newline and tab: they are invisible and break exports.
CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# The longest texts the database columns hold.
MAX_LENGTHS = {"topic": 100, "article": 200, "title": 200, "version": 60, "tag": 100}
DEFAULT_DIFFICULTY = 3
LAWS_FILE = "laws.yaml"


@dataclass(frozen=True)
class BankError:
    """One problem: where (path, line, question id) and which rule (code, params)."""

    path: str
    line: int
    code: str
    question_id: str = ""
    params: tuple[tuple[str, str], ...] = ()

    @property
    def param_dict(self) -> dict[str, str]:
        return dict(self.params)


@dataclass(frozen=True)
class Law:
    id: str
    title: str
    version: str
    effective: date
    status: str = "in_force"
    replaced_by: str = ""


@dataclass(frozen=True)
class QuestionContent:
    """What a question says. A change to any of it makes a new version."""

    type: str
    stem: str
    options: tuple[tuple[str, str], ...]
    answer: tuple[str, ...] | bool
    law: str
    article: str
    explanation: str
    difficulty: int
    tags: tuple[str, ...]
    topic: str

    def content_hash(self) -> str:
        """A stable fingerprint of the content, for telling versions apart."""
        data = {
            "type": self.type,
            "stem": self.stem,
            "options": [list(o) for o in self.options],
            "answer": self.answer if isinstance(self.answer, bool) else list(self.answer),
            "law": self.law,
            "article": self.article,
            "explanation": self.explanation,
            "difficulty": self.difficulty,
            "tags": list(self.tags),
            "topic": self.topic,
        }
        encoded = json.dumps(data, ensure_ascii=False, sort_keys=True).encode("utf-8")
        return hashlib.sha256(encoded).hexdigest()


@dataclass(frozen=True)
class Question:
    id: str
    content: QuestionContent
    status: str = "approved"
    source: str = ""  # the file it was read from
    line: int = 0


@dataclass
class Bank:
    laws: dict[str, Law] = field(default_factory=dict)
    questions: list[Question] = field(default_factory=list)
    errors: list[BankError] = field(default_factory=list)
    # Blueprints read with the bank (app.domain.blueprints.Blueprint, source path).
    blueprints: list[tuple[Any, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


# ---- reading ------------------------------------------------------------------------------


class ErrorCollector:
    """Gathers errors for one file."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.errors: list[BankError] = []

    def add(self, line: int, code: str, question_id: str = "", **params: object) -> None:
        self.errors.append(
            BankError(
                self.path,
                line,
                code,
                question_id,
                tuple((key, str(value)) for key, value in params.items()),
            )
        )


def _suggest(name: object, allowed: Iterable[str]) -> str:
    matches = difflib.get_close_matches(str(name), list(allowed), n=1, cutoff=0.6)
    return matches[0] if matches else ""


def check_fields(
    data: LineDict, allowed: tuple[str, ...], errors: ErrorCollector, question_id: str = ""
) -> None:
    for key in data:
        if key not in allowed:
            line = data.key_lines.get(key, data.line)
            suggestion = _suggest(key, allowed)
            if suggestion:
                errors.add(
                    line, "unknown_field_suggest", question_id, field=key, suggestion=suggestion
                )
            else:
                errors.add(
                    line, "unknown_field", question_id, field=key, allowed=", ".join(allowed)
                )


def text_of(data: LineDict, key: str) -> str | None:
    """A field's text exactly as written; numbers typed bare are read as their text."""
    value = data.get(key)
    if isinstance(value, str):
        return value
    if value is None or isinstance(value, (bool, list, dict)):
        return None
    return data.raw.get(key, str(value))


def _check_text(
    value: str,
    line: int,
    name: str,
    errors: ErrorCollector,
    question_id: str,
    limit: int | None = None,
) -> None:
    if CONTROL_CHARS.search(value):
        errors.add(line, "control_character", question_id, field=name)
    if limit is not None and len(value) > limit:
        errors.add(line, "text_too_long", question_id, field=name, limit=limit)


def read_file(path: str, text: str) -> tuple[LineDict | None, list[BankError]]:
    """Parse a file into its tree, or report why it cannot be read."""
    errors = ErrorCollector(path)
    try:
        document = parse_tree(text)
    except YamlTreeError as error:
        errors.add(error.line, error.code, **error.params)
        return None, errors.errors
    if document.root is None:
        errors.add(1, "empty_file")
        return None, errors.errors
    if not isinstance(document.root, LineDict):
        errors.add(document.line, "file_not_mapping")
        return None, errors.errors
    return document.root, errors.errors


def parse_laws(path: str, text: str) -> tuple[dict[str, Law], list[BankError]]:
    """Read laws.yaml."""
    root, read_errors = read_file(path, text)
    if root is None:
        return {}, read_errors
    errors = ErrorCollector(path)
    check_fields(root, ("laws",), errors)
    items = root.get("laws")
    if not isinstance(items, LineList):
        errors.add(root.key_lines.get("laws", root.line), "laws_not_list")
        return {}, errors.errors
    laws: dict[str, Law] = {}
    first_line: dict[str, int] = {}
    for item, line in zip(items, items.item_lines, strict=True):
        if not isinstance(item, LineDict):
            errors.add(line, "law_not_mapping")
            continue
        law = _parse_law(item, errors)
        if law is None:
            continue
        if law.id in laws:
            errors.add(item.line, "duplicate_law", law.id, first_line=first_line[law.id])
            continue
        laws[law.id] = law
        first_line[law.id] = item.line
    for law in laws.values():
        if law.replaced_by and law.replaced_by not in laws:
            errors.add(first_line[law.id], "unknown_replacement", law.id, law=law.replaced_by)
    return laws, errors.errors


def _parse_law(item: LineDict, errors: ErrorCollector) -> Law | None:
    law_id = text_of(item, "id") or ""
    before = len(errors.errors)
    check_fields(item, LAW_FIELDS, errors, law_id)
    line_of = lambda key: item.key_lines.get(key, item.line)  # noqa: E731
    if not law_id:
        errors.add(item.line, "missing_field", field="id")
    elif not ID_PATTERN.match(law_id) or len(law_id) > MAX_ID_LENGTH:
        errors.add(line_of("id"), "bad_id", law_id)
    for key in ("title", "version"):
        value = (text_of(item, key) or "").strip()
        if not value:
            errors.add(line_of(key), "missing_field", law_id, field=key)
        _check_text(value, line_of(key), key, errors, law_id, MAX_LENGTHS[key])
    effective = item.get("effective")
    if isinstance(effective, datetime):
        effective = effective.date()
    elif isinstance(effective, str):
        try:
            effective = date.fromisoformat(effective.strip())
        except ValueError:
            effective = None
    if not isinstance(effective, date):
        errors.add(line_of("effective"), "bad_date", law_id, field="effective")
    status = item.get("status", "in_force")
    if status not in LAW_STATUSES:
        errors.add(
            line_of("status"),
            "bad_choice",
            law_id,
            field="status",
            value=status,
            allowed=", ".join(LAW_STATUSES),
        )
    replaced_by = text_of(item, "replaced_by") or ""
    if len(errors.errors) > before:
        return None
    return Law(
        law_id,
        (text_of(item, "title") or "").strip(),
        (text_of(item, "version") or "").strip(),
        effective,
        status,
        replaced_by.strip(),
    )


def parse_topic_file(
    path: str, text: str, laws: dict[str, Law], ids_seen: list[tuple[str, int]] | None = None
) -> tuple[list[Question], list[BankError]]:
    """Read one topic file, checking each question against the law registry.

    `ids_seen` collects the id and line of every question, valid or not, so that
    a repeated id is reported even when the repeat has other errors too.
    """
    root, read_errors = read_file(path, text)
    if root is None:
        return [], read_errors
    errors = ErrorCollector(path)
    check_fields(root, ("topic", "questions"), errors)
    topic = (text_of(root, "topic") or "").strip()
    topic_line = root.key_lines.get("topic", root.line)
    if not topic:
        errors.add(topic_line, "missing_topic")
    _check_text(topic, topic_line, "topic", errors, "", MAX_LENGTHS["topic"])
    items = root.get("questions")
    if not isinstance(items, LineList):
        errors.add(root.key_lines.get("questions", root.line), "questions_not_list")
        return [], errors.errors
    questions = []
    for item, line in zip(items, items.item_lines, strict=True):
        if not isinstance(item, LineDict):
            errors.add(line, "question_not_mapping")
            continue
        if ids_seen is not None and isinstance(item.get("id"), str):
            ids_seen.append((item["id"], item.line))
        question = parse_question(item, topic, laws, errors)
        if question is not None:
            questions.append(
                Question(question.id, question.content, question.status, path, item.line)
            )
    return questions, errors.errors


def parse_question(
    item: LineDict, topic: str, laws: dict[str, Law], errors: ErrorCollector
) -> Question | None:
    """Check one question mapping; report every problem; return it when valid."""
    before = len(errors.errors)
    raw_id = item.get("id")
    qid = raw_id if isinstance(raw_id, str) else (text_of(item, "id") or "")
    line_of = lambda key: item.key_lines.get(key, item.line)  # noqa: E731
    check_fields(item, QUESTION_FIELDS, errors, qid)

    if "id" not in item:
        errors.add(item.line, "missing_field", field="id")
    elif not ID_PATTERN.match(qid) or len(qid) > MAX_ID_LENGTH:
        errors.add(line_of("id"), "bad_id", qid)

    qtype = item.get("type")
    if "type" not in item:
        errors.add(item.line, "missing_field", qid, field="type")
        qtype = None
    elif qtype not in QUESTION_TYPES:
        errors.add(
            line_of("type"),
            "bad_choice",
            qid,
            field="type",
            value=qtype,
            allowed=" | ".join(QUESTION_TYPES),
        )
        qtype = None

    stem = text_of(item, "stem")
    if "stem" not in item:
        errors.add(item.line, "missing_field", qid, field="stem")
    elif stem is None or not stem.strip():
        errors.add(line_of("stem"), "empty_text", qid, field="stem")
    else:
        _check_text(stem, line_of("stem"), "stem", errors, qid)

    options = _parse_options(item, qtype, qid, errors)
    answer = _parse_answer(item, qtype, options, qid, errors)

    status = item.get("status", "approved")
    if status not in QUESTION_STATUSES:
        errors.add(
            line_of("status"),
            "bad_choice",
            qid,
            field="status",
            value=status,
            allowed=" | ".join(QUESTION_STATUSES[:3]),
        )
        status = "approved"
    law = text_of(item, "law") or ""
    article = text_of(item, "article") or ""
    if status != "draft":
        for key, value in (("law", law), ("article", article)):
            if not value.strip():
                errors.add(
                    item.line if key not in item else line_of(key),
                    "citation_required",
                    qid,
                    field=key,
                )
    if law and law not in laws:
        suggestion = _suggest(law, laws)
        errors.add(line_of("law"), "unknown_law", qid, law=law, suggestion=suggestion or "—")
    if article:
        _check_text(article, line_of("article"), "article", errors, qid, MAX_LENGTHS["article"])

    explanation = text_of(item, "explanation") or ""
    if "explanation" in item and text_of(item, "explanation") is None:
        errors.add(line_of("explanation"), "not_text", qid, field="explanation")
    _check_text(explanation, line_of("explanation"), "explanation", errors, qid)

    difficulty = item.get("difficulty", DEFAULT_DIFFICULTY)
    if isinstance(difficulty, bool) or not isinstance(difficulty, int) or not 1 <= difficulty <= 5:
        errors.add(line_of("difficulty"), "bad_difficulty", qid, value=difficulty)
        difficulty = DEFAULT_DIFFICULTY

    tags = item.get("tags", [])
    if not isinstance(tags, list) or not all(isinstance(t, str) and t.strip() for t in tags):
        errors.add(line_of("tags"), "bad_tags", qid)
        tags = []
    for tag in tags:
        _check_text(tag, line_of("tags"), "tags", errors, qid, MAX_LENGTHS["tag"])

    if len(errors.errors) > before:
        return None
    assert qtype is not None and stem is not None and answer is not None
    content = QuestionContent(
        type=qtype,
        stem=stem,
        options=options,
        answer=answer,
        law=law.strip(),
        article=article.strip(),
        explanation=explanation,
        difficulty=difficulty,
        tags=tuple(t.strip() for t in tags),
        topic=topic,
    )
    return Question(qid, content, status, "", item.line)


def _parse_options(
    item: LineDict, qtype: str | None, qid: str, errors: ErrorCollector
) -> tuple[tuple[str, str], ...]:
    line = item.key_lines.get("options", item.line)
    options = item.get("options")
    if qtype == "judge":
        if options not in (None, {}):
            errors.add(line, "judge_has_options", qid)
        return ()
    if qtype is None:
        return ()
    if options is None:
        errors.add(item.line, "missing_field", qid, field="options")
        return ()
    if not isinstance(options, LineDict):
        errors.add(line, "options_not_mapping", qid)
        return ()
    keys = [str(key) for key in options]
    expected = list(OPTION_KEYS[: len(keys)])
    # Past H the count rule says what is wrong; the letters need no second error.
    if keys[: len(OPTION_KEYS)] != expected:
        errors.add(
            line, "option_keys", qid, keys=", ".join(keys), expected=", ".join(expected) or "A, B"
        )
    low, high = OPTION_LIMITS[qtype]
    if not low <= len(keys) <= high:
        errors.add(line, "option_count", qid, type=qtype, low=low, high=high, count=len(keys))
    parsed = []
    for key in options:
        text = text_of(options, key)
        key_line = options.key_lines.get(key, line)
        if text is None or not text.strip():
            errors.add(key_line, "empty_option", qid, key=key)
            continue
        _check_text(text, key_line, f"options.{key}", errors, qid)
        parsed.append((str(key), text))
    texts = Counter(text.strip() for _, text in parsed)
    for text, count in texts.items():
        if count > 1:
            errors.add(line, "duplicate_option", qid, text=text)
    return tuple(parsed)


def _parse_answer(
    item: LineDict,
    qtype: str | None,
    options: tuple[tuple[str, str], ...],
    qid: str,
    errors: ErrorCollector,
) -> tuple[str, ...] | bool | None:
    if "answer" not in item:
        errors.add(item.line, "missing_field", qid, field="answer")
        return None
    line = item.key_lines.get("answer", item.line)
    answer = item["answer"]
    keys = {key for key, _ in options}
    if qtype == "judge":
        if not isinstance(answer, bool):
            errors.add(line, "judge_answer", qid, value=answer)
            return None
        return answer
    if qtype == "single":
        if not isinstance(answer, str) or len(answer.strip()) != 1:
            errors.add(line, "single_answer", qid, value=answer)
            return None
        if options and answer.strip() not in keys:
            errors.add(line, "answer_not_option", qid, key=answer)
            return None
        return (answer.strip(),)
    if qtype == "multiple":
        if not isinstance(answer, list) or not all(isinstance(a, str) for a in answer):
            errors.add(line, "multiple_answer", qid, value=answer)
            return None
        chosen = [a.strip() for a in answer]
        if len(set(chosen)) != len(chosen):
            errors.add(line, "answer_repeated", qid)
            return None
        if len(chosen) < 2:
            errors.add(line, "multiple_answer", qid, value=answer)
            return None
        missing = [key for key in chosen if options and key not in keys]
        if missing:
            errors.add(line, "answer_not_option", qid, key=", ".join(missing))
            return None
        return tuple(sorted(chosen))
    return None


def load_bank(files: list[tuple[str, str]]) -> Bank:
    """Read a whole bank: (path, text) pairs; the one named laws.yaml is the registry.

    Question ids must be unique across all files.
    """
    bank = Bank()
    laws_files = [(path, text) for path, text in files if path.rsplit("/", 1)[-1] == LAWS_FILE]
    for path, text in laws_files:
        laws, errors = parse_laws(path, text)
        bank.errors.extend(errors)
        for law_id, law in laws.items():
            bank.laws.setdefault(law_id, law)
    if not laws_files:
        bank.errors.append(BankError("(bank)", 0, "no_laws_file"))
    first_place: dict[str, str] = {}
    duplicates: set[tuple[str, str, int]] = set()
    for path, text in files:
        if (path, text) in laws_files:
            continue
        ids_seen: list[tuple[str, int]] = []
        questions, errors = parse_topic_file(path, text, bank.laws, ids_seen)
        bank.errors.extend(errors)
        for question_id, line in ids_seen:
            if question_id in first_place:
                duplicates.add((question_id, path, line))
                bank.errors.append(
                    BankError(
                        path,
                        line,
                        "duplicate_id",
                        question_id,
                        (("first", first_place[question_id]),),
                    )
                )
            else:
                first_place[question_id] = f"{path}:{line}"
        bank.questions.extend(q for q in questions if (q.id, path, q.line) not in duplicates)
    return bank


def summary(questions: Iterable[Question]) -> dict[str, Counter]:
    """Counts by topic, type, law and difficulty, for the validator's report."""
    counts: dict[str, Counter] = {
        "topic": Counter(),
        "type": Counter(),
        "law": Counter(),
        "difficulty": Counter(),
        "status": Counter(),
    }
    for question in questions:
        counts["topic"][question.content.topic] += 1
        counts["type"][question.content.type] += 1
        counts["law"][question.content.law or "—"] += 1
        counts["difficulty"][question.content.difficulty] += 1
        counts["status"][question.status] += 1
    return counts


# ---- writing ------------------------------------------------------------------------------


def _dumper() -> Any:
    import yaml

    base = getattr(yaml, "CSafeDumper", yaml.SafeDumper)

    class BankDumper(base):  # type: ignore[valid-type, misc]
        pass

    def represent_str(dumper: Any, value: str) -> Any:
        # Multi-line text reads best as a literal block, when YAML can hold it exactly.
        # (Not for text ending in blank lines: that needs "|+", after which YAML
        # would end the document with "...".)
        if (
            "\n" in value
            and value.strip("\n")
            and not value.endswith(("\n\n", " ", "\t"))
            and "\n " not in value.lstrip("\n")
        ):
            return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|")
        return dumper.represent_scalar("tag:yaml.org,2002:str", value)

    BankDumper.add_representer(str, represent_str)
    BankDumper.add_representer(
        _Flow, lambda d, v: d.represent_sequence("tag:yaml.org,2002:seq", list(v), flow_style=True)
    )
    return BankDumper


class _Flow(tuple):
    """A short list written on one line: [A, C]."""


def _dump(data: Any) -> str:
    import yaml

    return yaml.dump(
        data,
        Dumper=_dumper(),
        allow_unicode=True,
        sort_keys=False,
        default_flow_style=False,
        width=1_000_000,
        indent=2,
    )


def question_mapping(question: Question) -> dict[str, Any]:
    """The question as the YAML mapping a bank file holds, fields in the canonical order."""
    content = question.content
    data: dict[str, Any] = {
        "id": question.id,
        "type": content.type,
        "difficulty": content.difficulty,
        "stem": content.stem,
    }
    if content.options:
        data["options"] = dict(content.options)
    if isinstance(content.answer, bool):
        data["answer"] = content.answer
    elif content.type == "single":
        data["answer"] = content.answer[0]
    else:
        data["answer"] = _Flow(content.answer)
    if content.law:
        data["law"] = content.law
    if content.article:
        data["article"] = content.article
    if content.explanation:
        data["explanation"] = content.explanation
    if content.tags:
        data["tags"] = _Flow(content.tags)
    if question.status != "approved":
        data["status"] = question.status
    return data


def dump_topic(topic: str, questions: Iterable[Question]) -> str:
    """A topic file: the questions in id order, a blank line between them."""
    header = _dump({"topic": topic}) + "questions:\n"
    blocks = []
    for question in sorted(questions, key=lambda q: q.id):
        text = _dump([question_mapping(question)])
        blocks.append(
            "".join(
                "  " + line if line.strip("\r\n") else line
                for line in text.splitlines(keepends=True)
            )
        )
    return header + "\n".join(blocks)


def dump_laws(laws: Iterable[Law]) -> str:
    """laws.yaml with the laws in id order."""
    items = []
    for law in sorted(laws, key=lambda item: item.id):
        data: dict[str, Any] = {
            "id": law.id,
            "title": law.title,
            "version": law.version,
            "effective": law.effective,
        }
        if law.status != "in_force":
            data["status"] = law.status
        if law.replaced_by:
            data["replaced_by"] = law.replaced_by
        items.append(data)
    return _dump({"laws": items})


def check_question(
    data: dict[str, Any], topic: str, laws: dict[str, Law]
) -> tuple[Question | None, list[BankError]]:
    """Validate one question given as a plain mapping (a web form, a spreadsheet row).

    The rules are exactly those of the YAML validator; errors carry line 0 and
    name the field in their params where there is one.
    """
    errors = ErrorCollector("")
    question = parse_question(to_line_tree(data), topic, laws, errors)
    if not topic.strip():
        errors.add(0, "missing_topic", str(data.get("id", "")))
        question = None
    return question, errors.errors
