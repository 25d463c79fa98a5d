"""Blueprints (组卷规则): how a paper is made, read from YAML and checked.

```yaml
id: annual-standard
title: 年度法律知识考试
kind: annual                 # pre_appointment | annual | make_up | practice
time_limit_minutes: 60
pass_score: 60
shuffle_questions: true      # within each section; default true
shuffle_options: true        # default true
sections:
  - title: 单项选择题
    type: single             # single | multiple | judge
    count: 20
    points: 2                # per question
    topics: {宪法: 8, 民法典: 6, 行政法: 6}       # optional; sums to count
    difficulty: {easy: 6, medium: 10, hard: 4}  # optional; sums to count
    partial_credit: none     # multiple only: none | half (default none)
```
Errors are BankError values, like the bank's, so every tool prints them alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from app.domain.bank import (
    ID_PATTERN,
    QUESTION_TYPES,
    BankError,
    ErrorCollector,
    check_fields,
    read_file,
    text_of,
)
from app.domain.yamltree import LineDict, LineList, to_line_tree

EXAM_KINDS = ("pre_appointment", "annual", "make_up", "practice")
BLUEPRINT_FIELDS = (
    "id",
    "title",
    "kind",
    "time_limit_minutes",
    "pass_score",
    "shuffle_questions",
    "shuffle_options",
    "sections",
)
SECTION_FIELDS = ("title", "type", "count", "points", "topics", "difficulty", "partial_credit")
PARTIAL_CREDIT = ("none", "half")
# Difficulty bands: easy = 1-2, medium = 3, hard = 4-5.
BANDS: dict[str, tuple[int, ...]] = {"easy": (1, 2), "medium": (3,), "hard": (4, 5)}
MAX_QUESTIONS_PER_SECTION = 500


def band_of(difficulty: int) -> str:
    for band, levels in BANDS.items():
        if difficulty in levels:
            return band
    raise ValueError(f"difficulty {difficulty} is outside 1-5")


@dataclass(frozen=True)
class Section:
    title: str
    type: str
    count: int
    points: Fraction
    topics: tuple[tuple[str, int], ...] = ()
    difficulty: tuple[tuple[str, int], ...] = ()
    partial_credit: str = "none"

    @property
    def max_score(self) -> Fraction:
        return self.points * self.count


@dataclass(frozen=True)
class Blueprint:
    id: str
    title: str
    kind: str
    time_limit_minutes: int
    pass_score: Fraction
    sections: tuple[Section, ...]
    shuffle_questions: bool = True
    shuffle_options: bool = True

    @property
    def max_score(self) -> Fraction:
        return sum((section.max_score for section in self.sections), Fraction(0))

    @property
    def question_count(self) -> int:
        return sum(section.count for section in self.sections)


def _number(value: Any) -> Fraction | None:
    """A positive score given as an integer or a decimal like 1.5."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    number = Fraction(str(value))
    return number if number > 0 else None


def parse_blueprint(path: str, root: LineDict) -> tuple[Blueprint | None, list[BankError]]:
    """Check a blueprint mapping; report every problem; return it when valid."""
    errors = ErrorCollector(path)
    blueprint_id = text_of(root, "id") or ""
    line_of = lambda key: root.key_lines.get(key, root.line)  # noqa: E731
    check_fields(root, BLUEPRINT_FIELDS, errors, blueprint_id)
    if not blueprint_id:
        errors.add(root.line, "missing_field", field="id")
    elif not ID_PATTERN.match(blueprint_id):
        errors.add(line_of("id"), "bad_id", blueprint_id)
    title = (text_of(root, "title") or "").strip()
    if not title:
        errors.add(line_of("title"), "missing_field", blueprint_id, field="title")
    kind = root.get("kind")
    if kind not in EXAM_KINDS:
        errors.add(
            line_of("kind"),
            "bad_choice",
            blueprint_id,
            field="kind",
            value=kind,
            allowed=" | ".join(EXAM_KINDS),
        )
    time_limit = root.get("time_limit_minutes")
    if (
        isinstance(time_limit, bool)
        or not isinstance(time_limit, int)
        or not 1 <= time_limit <= 600
    ):
        errors.add(line_of("time_limit_minutes"), "bad_time_limit", blueprint_id, value=time_limit)
    pass_score = _number(root.get("pass_score"))
    if pass_score is None:
        errors.add(
            line_of("pass_score"),
            "bad_score",
            blueprint_id,
            field="pass_score",
            value=root.get("pass_score"),
        )
    flags = {}
    for key in ("shuffle_questions", "shuffle_options"):
        value = root.get(key, True)
        if not isinstance(value, bool):
            errors.add(line_of(key), "not_boolean", blueprint_id, field=key, value=value)
        flags[key] = value is True
    sections_data = root.get("sections")
    sections: list[Section] = []
    if not isinstance(sections_data, LineList) or not sections_data:
        errors.add(line_of("sections"), "sections_required", blueprint_id)
    else:
        types_seen: set[str] = set()
        for item, line in zip(sections_data, sections_data.item_lines, strict=True):
            if not isinstance(item, LineDict):
                errors.add(line, "section_not_mapping", blueprint_id)
                continue
            section = _parse_section(item, blueprint_id, errors)
            if section is None:
                continue
            # One section per type keeps sections from competing for the same
            # questions, so each section's quotas can be solved exactly alone.
            if section.type in types_seen:
                errors.add(line, "duplicate_section_type", blueprint_id, type=section.type)
                continue
            types_seen.add(section.type)
            sections.append(section)
    if errors.errors:
        return None, errors.errors
    blueprint = Blueprint(
        blueprint_id,
        title,
        kind,
        time_limit,
        pass_score,
        tuple(sections),
        flags["shuffle_questions"],
        flags["shuffle_options"],
    )
    if pass_score > blueprint.max_score:
        errors.add(
            line_of("pass_score"),
            "pass_score_too_high",
            blueprint_id,
            pass_score=format_score(pass_score),
            total=format_score(blueprint.max_score),
        )
        return None, errors.errors
    return blueprint, []


def _parse_section(item: LineDict, blueprint_id: str, errors: ErrorCollector) -> Section | None:
    before = len(errors.errors)
    line_of = lambda key: item.key_lines.get(key, item.line)  # noqa: E731
    check_fields(item, SECTION_FIELDS, errors, blueprint_id)
    title = (text_of(item, "title") or "").strip()
    if not title:
        errors.add(line_of("title"), "missing_field", blueprint_id, field="title")
    qtype = item.get("type")
    if qtype not in QUESTION_TYPES:
        errors.add(
            line_of("type"),
            "bad_choice",
            blueprint_id,
            field="type",
            value=qtype,
            allowed=" | ".join(QUESTION_TYPES),
        )
    count = item.get("count")
    if (
        isinstance(count, bool)
        or not isinstance(count, int)
        or not 1 <= count <= MAX_QUESTIONS_PER_SECTION
    ):
        errors.add(
            line_of("count"),
            "bad_count",
            blueprint_id,
            value=count,
            limit=MAX_QUESTIONS_PER_SECTION,
        )
        count = None
    points = _number(item.get("points"))
    if points is None:
        errors.add(
            line_of("points"), "bad_score", blueprint_id, field="points", value=item.get("points")
        )
    topics = _quota(item, "topics", None, count, blueprint_id, errors)
    difficulty = _quota(item, "difficulty", tuple(BANDS), count, blueprint_id, errors)
    partial = item.get("partial_credit", "none")
    if partial not in PARTIAL_CREDIT:
        errors.add(
            line_of("partial_credit"),
            "bad_choice",
            blueprint_id,
            field="partial_credit",
            value=partial,
            allowed=" | ".join(PARTIAL_CREDIT),
        )
    elif partial != "none" and qtype != "multiple":
        errors.add(line_of("partial_credit"), "partial_credit_multiple_only", blueprint_id)
    if len(errors.errors) > before:
        return None
    return Section(title, qtype, count, points, topics, difficulty, partial)


def _quota(
    item: LineDict,
    key: str,
    allowed: tuple[str, ...] | None,
    count: int | None,
    blueprint_id: str,
    errors: ErrorCollector,
) -> tuple[tuple[str, int], ...]:
    if key not in item:
        return ()
    line = item.key_lines.get(key, item.line)
    data = item[key]
    if not isinstance(data, LineDict) or not data:
        errors.add(line, "bad_quota", blueprint_id, field=key)
        return ()
    quota = []
    for name, number in data.items():
        if allowed is not None and name not in allowed:
            errors.add(
                data.key_lines.get(name, line),
                "bad_choice",
                blueprint_id,
                field=key,
                value=name,
                allowed=", ".join(allowed),
            )
            continue
        if isinstance(number, bool) or not isinstance(number, int) or number < 0:
            errors.add(
                data.key_lines.get(name, line),
                "bad_quota_number",
                blueprint_id,
                field=key,
                name=name,
                value=number,
            )
            continue
        if number:
            quota.append((str(name), number))
    total = sum(number for _, number in quota)
    if count is not None and total != count:
        errors.add(line, "quota_sum", blueprint_id, field=key, total=total, count=count)
    return tuple(quota)


def format_score(value: Fraction) -> str:
    """A score as people write it: 60, 1.5."""
    return str(value.numerator) if value.denominator == 1 else f"{float(value):g}"


def parse_blueprint_file(path: str, text: str) -> tuple[Blueprint | None, list[BankError]]:
    """Read and check one blueprint file."""
    root, errors = read_file(path, text)
    if root is None:
        return None, errors
    return parse_blueprint(path, root)


def blueprint_mapping(blueprint: Blueprint) -> dict[str, Any]:
    """The blueprint as its YAML mapping, fields in the documented order."""

    def score(value: Fraction) -> int | float:
        return value.numerator if value.denominator == 1 else float(value)

    sections = []
    for section in blueprint.sections:
        data: dict[str, Any] = {
            "title": section.title,
            "type": section.type,
            "count": section.count,
            "points": score(section.points),
        }
        if section.topics:
            data["topics"] = dict(section.topics)
        if section.difficulty:
            data["difficulty"] = dict(section.difficulty)
        if section.type == "multiple":
            data["partial_credit"] = section.partial_credit
        sections.append(data)
    return {
        "id": blueprint.id,
        "title": blueprint.title,
        "kind": blueprint.kind,
        "time_limit_minutes": blueprint.time_limit_minutes,
        "pass_score": score(blueprint.pass_score),
        "shuffle_questions": blueprint.shuffle_questions,
        "shuffle_options": blueprint.shuffle_options,
        "sections": sections,
    }


def dump_blueprint(blueprint: Blueprint) -> str:
    """A blueprint file, quota mappings written inline as in the documentation."""
    import yaml

    base = getattr(yaml, "CSafeDumper", yaml.SafeDumper)

    class BlueprintDumper(base):  # type: ignore[valid-type, misc]
        pass

    data = blueprint_mapping(blueprint)
    for section in data["sections"]:
        for key in ("topics", "difficulty"):
            if key in section:
                section[key] = _InlineMap(section[key])
    BlueprintDumper.add_representer(
        _InlineMap,
        lambda d, v: d.represent_mapping("tag:yaml.org,2002:map", dict(v), flow_style=True),
    )
    return yaml.dump(
        data,
        Dumper=BlueprintDumper,
        allow_unicode=True,
        sort_keys=False,
        default_flow_style=False,
        width=1_000_000,
    )


class _InlineMap(dict):
    """A quota mapping written on one line: {easy: 6, medium: 10, hard: 4}."""


def check_blueprint(
    data: dict[str, Any], path: str = ""
) -> tuple[Blueprint | None, list[BankError]]:
    """Validate a blueprint given as a plain mapping (stored definitions, web forms)."""
    return parse_blueprint(path, to_line_tree(data))
