"""Examiner forms. They check shape only; the bank's rules live in the validator."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from flask import current_app
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)
from wtforms.widgets import CheckboxInput, ListWidget

from app.domain import bank as core
from app.domain.blueprints import BANDS, Blueprint, parse_blueprint
from app.domain.tables import match_headers
from app.domain.yamltree import LineDict, to_line_tree
from app.messages import BAND_LABELS, describe, message_for
from app.models import QuestionVersion
from app.services.errors import ServiceError
from app.services.exams import EligibilityRule, ExamRequest
from app.services.tables import read_table
from app.timeutil import parse_when
from app.web.examiner.labels import (
    ANY,
    EDITABLE_STATUS_LABELS,
    JUDGE_LABELS,
    STATUS_LABELS,
    TYPE_LABELS,
)
from app.web.labels import CATEGORY_LABELS, LAW_STATUS_LABELS

OPTION_FIELDS = {key: f"option_{key.lower()}" for key in core.OPTION_KEYS}
TAG_SEPARATORS = re.compile(r"[,，、;；\s]+")
# Saving an edit resolves a review; an edited retired question comes back as a draft.
EDIT_STATUS_DEFAULTS = {"needs_review": "approved", "retired": "draft"}
MAPPING_LINE = re.compile(r"\s*[=:：]\s*")
DIFFICULTIES = [SelectChoice(str(n), str(n)) for n in range(1, 6)]


def choices(labels: dict[Any, Any], *, anything: bool = False) -> list[SelectChoice]:
    """Choices from a code -> label dict, optionally led by "(any)" for filters."""
    lead = [SelectChoice("", ANY)] if anything else []
    return lead + [SelectChoice(code, label) for code, label in labels.items()]


def normalise_newlines(value: Any) -> Any:
    """Browsers send a textarea's lines with CRLF; the bank keeps LF."""
    if isinstance(value, str):
        return value.replace("\r\n", "\n").replace("\r", "\n")
    return value


def strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


class CheckboxesField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class QuestionFilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET search form changes nothing

    q = StringField(_l("Search"), validators=[Optional(), Length(max=200)])
    topic = SelectField(_l("Topic"), validate_choice=False)
    qtype = SelectField(
        _l("Type"), choices=choices(TYPE_LABELS, anything=True), validate_choice=False
    )
    law = SelectField(_l("Law"), validate_choice=False)
    difficulty = SelectField(
        _l("Difficulty"), choices=[SelectChoice("", ANY), *DIFFICULTIES], validate_choice=False
    )
    status = SelectField(
        _l("Status"), choices=choices(STATUS_LABELS, anything=True), validate_choice=False
    )
    tag = StringField(_l("Tag"), validators=[Optional(), Length(max=100)], filters=[strip])


class QuestionForm(FlaskForm):
    """A question's fields; `question_data()` gives them as a bank file would hold them."""

    question_id = StringField(
        _l("Id"),
        filters=[strip],
        description=_l("Such as xianfa-0101: lowercase, digits, hyphens."),
    )
    qtype = SelectField(_l("Type"), choices=choices(TYPE_LABELS), validate_choice=False)
    topic = StringField(_l("Topic"), filters=[strip])
    difficulty = SelectField(_l("Difficulty"), choices=DIFFICULTIES, default="3")
    status = SelectField(
        _l("Status"), choices=choices(EDITABLE_STATUS_LABELS), validate_choice=False
    )
    stem = TextAreaField(_l("Stem"), filters=[normalise_newlines], render_kw={"rows": 4})
    option_a = TextAreaField("A", filters=[normalise_newlines], render_kw={"rows": 1})
    option_b = TextAreaField("B", filters=[normalise_newlines], render_kw={"rows": 1})
    option_c = TextAreaField("C", filters=[normalise_newlines], render_kw={"rows": 1})
    option_d = TextAreaField("D", filters=[normalise_newlines], render_kw={"rows": 1})
    option_e = TextAreaField("E", filters=[normalise_newlines], render_kw={"rows": 1})
    option_f = TextAreaField("F", filters=[normalise_newlines], render_kw={"rows": 1})
    option_g = TextAreaField("G", filters=[normalise_newlines], render_kw={"rows": 1})
    option_h = TextAreaField("H", filters=[normalise_newlines], render_kw={"rows": 1})
    answer_keys = CheckboxesField(
        _l("Correct options"), choices=[SelectChoice(key, key) for key in core.OPTION_KEYS]
    )
    answer_judge = RadioField(
        _l("Correct answer"),
        choices=[SelectChoice(str(value).lower(), label) for value, label in JUDGE_LABELS.items()],
        validate_choice=False,
    )
    law = SelectField(_l("Law"), validate_choice=False)
    article = StringField(_l("Article"), description=_l("Such as 第二条第一款."))
    explanation = TextAreaField(
        _l("Explanation"), filters=[normalise_newlines], render_kw={"rows": 3}
    )
    tags = StringField(_l("Tags"), description=_l("Separated by commas or spaces."))
    # The version the form was filled from: saving over a newer one is refused.
    base_version = HiddenField()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.option_errors: list[str] = []  # about the options as a whole
        self.other_errors: list[str] = []

    @property
    def option_fields(self) -> list[tuple[str, Any]]:
        return [(key, getattr(self, name)) for key, name in OPTION_FIELDS.items()]

    @property
    def base_version_number(self) -> int | None:
        value = self.base_version.data or ""
        return int(value) if value.isdigit() else None

    def question_data(self) -> dict[str, Any]:
        """The fields as a bank file would hold them, for the validator."""
        qtype = self.qtype.data or ""
        options = {
            key: field.data for key, field in self.option_fields if (field.data or "").strip()
        }
        data: dict[str, Any] = {
            "id": self.question_id.data or "",
            "type": qtype,
            "difficulty": int(self.difficulty.data) if str(self.difficulty.data).isdigit() else 0,
            "stem": self.stem.data or "",
            "options": options,
            "law": self.law.data or "",
            "article": self.article.data or "",
            "explanation": self.explanation.data or "",
            "tags": [tag for tag in TAG_SEPARATORS.split(self.tags.data or "") if tag],
            "status": self.status.data or "",
        }
        keys = list(self.answer_keys.data or [])
        if qtype == "judge":
            if self.answer_judge.data in ("true", "false"):
                data["answer"] = self.answer_judge.data == "true"
        elif qtype == "single" and keys:
            data["answer"] = keys[0] if len(keys) == 1 else ", ".join(keys)
        elif keys:
            data["answer"] = keys
        return data

    def show_errors(self, errors: list[tuple[str, str]]) -> None:
        """Put each (question field, message) beside its input."""
        fields = {
            "id": self.question_id,
            "type": self.qtype,
            "topic": self.topic,
            "difficulty": self.difficulty,
            "status": self.status,
            "stem": self.stem,
            "law": self.law,
            "article": self.article,
            "explanation": self.explanation,
            "tags": self.tags,
            "answer": self.answer_judge if self.qtype.data == "judge" else self.answer_keys,
        }
        for key, name in OPTION_FIELDS.items():
            fields[f"options.{key}"] = getattr(self, name)
        for name, message in errors:
            if name in fields:
                fields[name].errors = [*fields[name].errors, message]
            elif name == "options":
                self.option_errors.append(message)
            else:
                self.other_errors.append(message)

    @classmethod
    def data_of(cls, version: QuestionVersion, status: str) -> dict[str, Any]:
        """Initial form data showing a version."""
        data: dict[str, Any] = {
            "question_id": version.question_id,
            "qtype": version.type,
            "topic": version.topic,
            "difficulty": str(version.difficulty),
            "status": EDIT_STATUS_DEFAULTS.get(status, status),
            "stem": version.stem,
            "law": version.law_id or "",
            "article": version.article,
            "explanation": version.explanation,
            "tags": ", ".join(version.tags),
            "base_version": str(version.number),
        }
        for key, text in version.options:
            if key in OPTION_FIELDS:
                data[OPTION_FIELDS[key]] = text
        if isinstance(version.answer, bool):
            data["answer_judge"] = "true" if version.answer else "false"
        else:
            data["answer_keys"] = list(version.answer)
        return data


class LawMarkForm(FlaskForm):
    """Mark a law amended or repealed; optionally register the version that replaces it."""

    law_id = SelectField(_l("Law"), validate_choice=True)
    status = RadioField(
        _l("What happened"),
        choices=[SelectChoice(code, LAW_STATUS_LABELS[code]) for code in ("amended", "repealed")],
        validators=[InputRequired(_l("Choose amended or repealed."))],
    )
    new_id = StringField(
        _l("Id of the new version"),
        filters=[strip],
        validators=[
            Optional(),
            Length(max=core.MAX_ID_LENGTH),
            Regexp(core.ID_PATTERN, message=_l("Lowercase letters, digits and hyphens only.")),
        ],
        description=_l("Such as xingzheng-chufa-2021. Leave empty when no new version is added."),
    )
    new_title = StringField(
        _l("Title"),
        filters=[strip],
        validators=[Optional(), Length(max=200)],
        description=_l("Leave empty to keep the old title."),
    )
    new_version = StringField(
        _l("Version"), filters=[strip], validators=[Optional(), Length(max=60)]
    )
    new_effective = DateField(_l("Effective date"), validators=[Optional()])

    def validate(self, extra_validators: Any = None) -> bool:
        if not super().validate(extra_validators):
            return False
        given = [
            self.new_id.data,
            self.new_title.data,
            self.new_version.data,
            self.new_effective.data,
        ]
        if not any(given):
            return True
        missing = False
        for field in (self.new_id, self.new_version, self.new_effective):
            if not field.data:
                field.errors = [*field.errors, _l("Needed for the new version.")]
                missing = True
        return not missing


class BankUploadForm(FlaskForm):
    file = FileField(
        _l("Bank file"),
        validators=[
            FileRequired(_l("Choose a file to upload.")),
            FileAllowed(
                ["yaml", "zip", "xlsx", "csv"],
                _l("Only .yaml, .zip, .xlsx and .csv files are accepted."),
            ),
        ],
    )
    topic = StringField(
        _l("Topic (spreadsheets without a topic column)"),
        filters=[strip],
        validators=[Optional(), Length(max=100)],
    )
    id_prefix = StringField(
        _l("Id prefix (spreadsheets without an id column)"),
        filters=[strip],
        validators=[Optional(), Length(max=40)],
    )
    mapping = TextAreaField(
        _l("Column mapping (spreadsheets)"),
        filters=[normalise_newlines],
        validators=[Optional(), Length(max=4000)],
        render_kw={"rows": 4},
        description=_l(
            "One line per field whose column has another header: field = header, "
            "such as stem = 题干内容."
        ),
    )

    def validate_mapping(self, field: Any) -> None:
        parse_mapping(field.data or "")


def parse_mapping(text: str) -> dict[str, str]:
    """`field = header` lines as a dict; a line written otherwise is a shape error."""
    mapping: dict[str, str] = {}
    for number, line in enumerate(normalise_newlines(text).split("\n"), start=1):
        if not line.strip():
            continue
        parts = MAPPING_LINE.split(line.strip(), maxsplit=1)
        if len(parts) != 2 or not parts[0] or not parts[1]:
            raise ValidationError(gettext("Line %(n)s is not written as field = header.", n=number))
        mapping[parts[0]] = parts[1]
    return mapping


class UploadConfirmForm(FlaskForm):
    token = HiddenField()
    topic = HiddenField()
    id_prefix = HiddenField()
    mapping = HiddenField()


# ---- blueprints and exams -----------------------------------------------------------------

KIND_LABELS = {
    "pre_appointment": _l("Pre-appointment exam"),
    "annual": _l("Annual exam"),
    "make_up": _l("Make-up exam"),
    "practice": _l("Practice"),
}
REVIEW_POLICY_LABELS = {
    "never": _l("Never"),
    "after_submit": _l("After submitting"),
    "after_close": _l("After the exam closes"),
}
PARTIAL_CREDIT_LABELS = {
    "none": _l("All or nothing"),
    "half": _l("Half the points for a correct subset"),
}
MAX_SECTIONS = 10
MAX_TOPIC_ROWS = 60
WHOLE_NUMBER = re.compile(r"[+-]?\d+")
DECIMAL_NUMBER = re.compile(r"[+-]?\d*\.\d+")
LIST_SEPARATORS = re.compile(r"[\s,，、;；]+")
EXTENSION_LINE = re.compile(r"^(\S+?)\s*[\s,，:：=]\s*(\d+)$")
STAFF_NO_COLUMN = {"staff_no": ("工号", "staff_no")}


def number_of(text: str | None) -> int | float | str | None:
    """A number as typed: int, decimal, or the text itself for the validator to refuse."""
    text = (text or "").strip()
    if not text:
        return None
    if WHOLE_NUMBER.fullmatch(text):
        return int(text)
    if DECIMAL_NUMBER.fullmatch(text):
        return float(text)
    return text


def _text_of_number(value: Any) -> str:
    return "" if value is None else str(value)


class QuotaRowForm(Form):
    """One topic quota of a section: a topic of the bank and how many questions from it."""

    name = SelectField(_l("Topic"), validate_choice=False)
    number = StringField(_l("Questions"), render_kw={"inputmode": "numeric"})


class DifficultyForm(Form):
    easy = StringField(BAND_LABELS["easy"], render_kw={"inputmode": "numeric"})
    medium = StringField(BAND_LABELS["medium"], render_kw={"inputmode": "numeric"})
    hard = StringField(BAND_LABELS["hard"], render_kw={"inputmode": "numeric"})


class SectionForm(Form):
    title = StringField(_l("Section title"), filters=[strip], render_kw={"maxlength": 200})
    qtype = SelectField(_l("Question type"), choices=choices(TYPE_LABELS), validate_choice=False)
    count = StringField(_l("Questions"), render_kw={"inputmode": "numeric"})
    points = StringField(_l("Points each"), render_kw={"inputmode": "decimal"})
    partial_credit = SelectField(
        _l("Scoring"), choices=choices(PARTIAL_CREDIT_LABELS), validate_choice=False
    )
    topics = FieldList(FormField(QuotaRowForm), max_entries=MAX_TOPIC_ROWS)
    difficulty = FormField(DifficultyForm)

    def is_blank(self) -> bool:
        """Nothing typed: a section added and left empty is dropped, not refused."""
        typed = [self.title.data, self.count.data, self.points.data]
        typed += [row.form.number.data for row in self.topics]
        typed += [field.data for field in self.difficulty]
        return not any((value or "").strip() for value in typed)


def _located_tree(
    definition: dict[str, Any], places: dict[str, Any]
) -> tuple[LineDict, dict[int, str]]:
    """The definition as the validator's tree, each part on a line of its own.

    The validator names problems by line; numbering the parts lets each problem
    be put back beside the input it came from (`lines` maps line -> input id).
    """
    lines: dict[int, str] = {}

    def line(place: str) -> int:
        lines[len(lines) + 1] = place
        return len(lines)

    tree = to_line_tree(definition)
    tree.line = line("")
    for key in tree:
        tree.key_lines[key] = line(places.get(key, ""))
    sections = tree["sections"]
    sections.line = tree.key_lines["sections"]
    for index, (section, where) in enumerate(zip(sections, places["items"], strict=True)):
        section.line = sections.item_lines[index] = line(where[""])
        for key in section:
            section.key_lines[key] = line(where.get(key, where[""]))
        for key in ("topics", "difficulty"):
            quota = section.get(key)
            if isinstance(quota, LineDict):
                quota.line = section.key_lines[key]
                for name in quota:
                    quota.key_lines[name] = line(where.get(f"{key}.{name}", where[key]))
    return tree, lines


class BlueprintForm(FlaskForm):
    """A blueprint's fields and its sections; `check()` validates as the service will and
    puts each problem in `problems`, keyed by the id of the input it is about."""

    blueprint_id = StringField(
        _l("Id"),
        filters=[strip],
        validators=[Length(max=core.MAX_ID_LENGTH)],
        description=_l("Such as annual-2026: lowercase letters, digits and hyphens."),
    )
    title = StringField(_l("Title"), filters=[strip], validators=[Length(max=200)])
    kind = SelectField(_l("Exam kind"), choices=choices(KIND_LABELS), validate_choice=False)
    time_limit_minutes = StringField(_l("Time limit (minutes)"), render_kw={"inputmode": "numeric"})
    pass_score = StringField(_l("Pass score"), render_kw={"inputmode": "decimal"})
    shuffle_questions = BooleanField(_l("Shuffle the questions within each section"))
    shuffle_options = BooleanField(_l("Shuffle the options of each question"))
    sections = FieldList(FormField(SectionForm), min_entries=1, max_entries=MAX_SECTIONS)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.problems: dict[str, list[str]] = {}
        self.topic_choices: list[SelectChoice] = []
        self.checked: Blueprint | None = None

    def set_topics(self, topics: list[str]) -> None:
        """Offer the bank's topics, and any the blueprint names that the bank lacks."""
        known = list(topics)
        for entry in self.sections:
            for row in entry.form.topics:
                name = row.form.name.data
                if name and name not in known:
                    known.append(name)
        self.topic_choices = [SelectChoice("", "—")] + [SelectChoice(t, t) for t in known]
        for entry in self.sections:
            for row in entry.form.topics:
                row.form.name.choices = self.topic_choices

    def blank_section(self) -> SectionForm:
        """A section with placeholder indexes, for the page script to copy."""
        return SectionForm(prefix=f"{self.sections.name}-__S__-")

    def blank_topic_row(self) -> QuotaRowForm:
        row = QuotaRowForm(prefix=f"{self.sections.name}-__S__-topics-__T__-")
        row.name.choices = self.topic_choices
        return row

    def _parts(self) -> tuple[dict[str, Any], dict[str, Any], dict[str, list[str]]]:
        """The definition as typed, where each part was typed, and problems of shape."""
        problems: dict[str, list[str]] = {}

        def problem(place: str, message: str) -> None:
            problems.setdefault(place, []).append(message)

        def number(field: Any) -> int | float | str | None:
            value = number_of(field.data)
            if value is None:
                problem(field.id, gettext("Enter a number."))
            return value

        definition: dict[str, Any] = {
            "id": self.blueprint_id.data or "",
            "title": self.title.data or "",
            "kind": self.kind.data or "",
            "time_limit_minutes": number(self.time_limit_minutes),
            "pass_score": number(self.pass_score),
            "shuffle_questions": bool(self.shuffle_questions.data),
            "shuffle_options": bool(self.shuffle_options.data),
            "sections": [],
        }
        places: dict[str, Any] = {
            "id": self.blueprint_id.id,
            "title": self.title.id,
            "kind": self.kind.id,
            "time_limit_minutes": self.time_limit_minutes.id,
            "pass_score": self.pass_score.id,
            "sections": self.sections.id,
            "items": [],
        }
        for entry in self.sections:
            section: SectionForm = entry.form
            if section.is_blank():
                continue
            data: dict[str, Any] = {
                "title": section.title.data or "",
                "type": section.qtype.data or "",
                "count": number(section.count),
                "points": number(section.points),
            }
            where = {
                "": entry.id,
                "title": section.title.id,
                "type": section.qtype.id,
                "count": section.count.id,
                "points": section.points.id,
                "partial_credit": section.partial_credit.id,
                "topics": section.topics.id,
                "difficulty": section.difficulty.id,
            }
            if data["type"] == "multiple":
                data["partial_credit"] = section.partial_credit.data or "none"
            topics: dict[str, Any] = {}
            for row in section.topics:
                name = (row.form.name.data or "").strip()
                if not name and not (row.form.number.data or "").strip():
                    continue
                if not name:
                    problem(row.form.name.id, gettext("Choose a topic."))
                elif name in topics:
                    problem(row.form.name.id, gettext("%(topic)s is listed twice.", topic=name))
                else:
                    topics[name] = number(row.form.number)
                    where[f"topics.{name}"] = row.form.number.id
            if topics:
                data["topics"] = topics
            bands = {}
            for band, field in section.difficulty.form._fields.items():
                where[f"difficulty.{band}"] = field.id
                if (field.data or "").strip():
                    bands[band] = number_of(field.data)
            if bands:  # a band left empty beside others asks for none of it
                data["difficulty"] = {band: bands.get(band, 0) for band in BANDS}
            definition["sections"].append(data)
            places["items"].append(where)
        return definition, places, problems

    def definition(self) -> dict[str, Any]:
        """The blueprint as the mapping the service stores."""
        return self._parts()[0]

    def check(self) -> Blueprint | None:
        """Validate as the service will; place every problem; the blueprint when none."""
        definition, places, problems = self._parts()
        for field in (self.blueprint_id, self.title):
            for message in field.errors:
                problems.setdefault(field.id, []).append(str(message))
        tree, lines = _located_tree(definition, places)
        blueprint, errors = parse_blueprint("", tree)
        for error in errors:
            place = lines.get(error.line, "")
            if place and place in problems:
                continue  # the problem of shape there already says it
            problems.setdefault(place, []).append(message_for(error.code, error.param_dict))
        self.problems = problems
        self.checked = None if problems else blueprint
        return self.checked

    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators)
        return self.check() is not None and valid

    def show_errors(self, messages: list[str]) -> None:
        """Messages about the blueprint as a whole."""
        self.problems.setdefault("", []).extend(messages)

    def problem_list(self) -> list[dict[str, str]]:
        return [
            {"field": place, "message": message}
            for place, messages in self.problems.items()
            for message in messages
        ]

    @staticmethod
    def data_of(mapping: dict[str, Any]) -> dict[str, Any]:
        """Initial form data showing a stored blueprint mapping."""
        sections = []
        for section in mapping.get("sections", []):
            difficulty = section.get("difficulty") or {}
            sections.append(
                {
                    "title": section.get("title", ""),
                    "qtype": section.get("type", ""),
                    "count": _text_of_number(section.get("count")),
                    "points": _text_of_number(section.get("points")),
                    "partial_credit": section.get("partial_credit", "none"),
                    "topics": [
                        {"name": name, "number": str(number)}
                        for name, number in (section.get("topics") or {}).items()
                    ],
                    "difficulty": {
                        band: str(difficulty.get(band, 0)) if difficulty else "" for band in BANDS
                    },
                }
            )
        return {
            "blueprint_id": mapping.get("id", ""),
            "title": mapping.get("title", ""),
            "kind": mapping.get("kind", ""),
            "time_limit_minutes": _text_of_number(mapping.get("time_limit_minutes")),
            "pass_score": _text_of_number(mapping.get("pass_score")),
            "shuffle_questions": mapping.get("shuffle_questions", True),
            "shuffle_options": mapping.get("shuffle_options", True),
            "sections": sections,
        }


NEW_BLUEPRINT = {
    "kind": "annual",
    "time_limit_minutes": 60,
    "pass_score": 60,
    "sections": [{"type": "single", "points": 1}],
}


def split_list(text: str | None) -> list[str]:
    """Items typed one a line or separated by commas, in order, each once."""
    return list(dict.fromkeys(item for item in LIST_SEPARATORS.split(text or "") if item))


def parse_extensions(text: str) -> dict[str, int]:
    """`staff_no minutes` lines as a dict; a line written otherwise is a shape error."""
    extensions: dict[str, int] = {}
    for number, line in enumerate(normalise_newlines(text).split("\n"), start=1):
        if not line.strip():
            continue
        match = EXTENSION_LINE.match(line.strip())
        if match is None or not 1 <= int(match.group(2)) <= 600:
            raise ValidationError(
                gettext(
                    "Line %(n)s: write a staff number and 1 to 600 minutes, such as T00012 15.",
                    n=number,
                )
            )
        extensions[match.group(1)] = int(match.group(2))
    return extensions


def staff_numbers_in_file(filename: str, content: bytes) -> list[str]:
    """The 工号 / staff_no column of an uploaded CSV or XLSX file."""
    try:
        rows = read_table(filename, content)
    except ServiceError as error:
        raise ValidationError(describe(error)) from None
    if not rows:
        raise ValidationError(message_for("empty_file"))
    columns, _ = match_headers(rows[0], STAFF_NO_COLUMN)
    if "staff_no" not in columns:
        raise ValidationError(message_for("missing_column", {"column": "工号 / staff_no"}))
    index = columns["staff_no"]
    numbers = [row[index].strip() for row in rows[1:] if index < len(row) and row[index].strip()]
    if not numbers:
        raise ValidationError(message_for("no_rows"))
    return list(dict.fromkeys(numbers))


class ExamForm(FlaskForm):
    """Opening an exam: which blueprint, when, for whom, on what terms."""

    blueprint = SelectField(_l("Blueprint"), validate_choice=False)
    title = StringField(_l("Title"), filters=[strip], validators=[InputRequired(), Length(max=200)])
    kind = SelectField(_l("Exam kind"), choices=choices(KIND_LABELS))
    original_exam = SelectField(
        _l("Original exam"),
        validate_choice=False,
        description=_l("Make-up exams only: those who failed or missed it may sit."),
    )
    opens_at = StringField(_l("Opens at"), render_kw={"type": "datetime-local"})
    closes_at = StringField(_l("Closes at"), render_kw={"type": "datetime-local"})
    time_limit_minutes = IntegerField(
        _l("Time limit (minutes)"),
        validators=[Optional(), NumberRange(min=1, max=600)],
        render_kw={"min": 1, "max": 600},
    )
    attempts_allowed = IntegerField(
        _l("Attempts allowed"),
        default=1,
        validators=[InputRequired(), NumberRange(min=1, max=20)],
        render_kw={"min": 1, "max": 20},
    )
    review_policy = SelectField(
        _l("Candidates may review their answers"),
        choices=choices(REVIEW_POLICY_LABELS),
        default="after_submit",
    )
    everyone = BooleanField(_l("Every cadre on the roster"))
    units = SelectMultipleField(
        _l("Units, each with its subunits"),
        coerce=int,
        validate_choice=False,
        render_kw={"size": 8},
    )
    categories = CheckboxesField(_l("Categories"), choices=choices(CATEGORY_LABELS))
    ranks = StringField(
        _l("Ranks"),
        validators=[Length(max=2000)],
        description=_l("Separated by commas, such as 一级主任科员, 二级主任科员."),
    )
    staff_nos = TextAreaField(
        _l("Staff numbers"),
        validators=[Length(max=200_000)],
        render_kw={"rows": 4},
        description=_l("One a line or separated by commas; they are added to those chosen above."),
    )
    staff_file = FileField(
        _l("Or upload them"),
        validators=[FileAllowed(["csv", "xlsx"], _l("Only .csv and .xlsx files are accepted."))],
        description=_l("A .csv or .xlsx file with a 工号 or staff_no column."),
    )
    extensions = TextAreaField(
        _l("Personal time extensions"),
        validators=[Length(max=20_000)],
        render_kw={"rows": 3},
        description=_l(
            "One line per candidate: staff number and extra minutes, such as T00012 15."
        ),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.file_staff_nos: list[str] = []
        self.general_errors: list[str] = []
        self.shortfalls: list[str] = []

    @staticmethod
    def _moment(field: Any) -> datetime:
        try:
            return parse_when(field.data or "", current_app.config["BABEL_DEFAULT_TIMEZONE"])
        except ValueError:
            raise ValidationError(gettext("Enter a date and time.")) from None

    def validate_opens_at(self, field: Any) -> None:
        self._moment(field)

    def validate_closes_at(self, field: Any) -> None:
        self._moment(field)

    def validate_extensions(self, field: Any) -> None:
        parse_extensions(field.data or "")

    def validate_staff_file(self, field: Any) -> None:
        upload = field.data
        if upload and getattr(upload, "filename", ""):
            self.file_staff_nos = staff_numbers_in_file(upload.filename, upload.read())

    def staff_list(self) -> list[str]:
        return list(dict.fromkeys([*split_list(self.staff_nos.data), *self.file_staff_nos]))

    def keep_uploaded_numbers(self) -> int:
        """Move the numbers read from an upload into the text box, so a page shown again
        keeps them (a file input cannot be filled back in); return how many were read."""
        if self.file_staff_nos:
            self.staff_nos.data = "\n".join(self.staff_list())
        return len(self.file_staff_nos)

    def rule(self) -> EligibilityRule:
        return EligibilityRule(
            everyone=bool(self.everyone.data),
            unit_ids=tuple(self.units.data or ()),
            categories=tuple(self.categories.data or ()),
            ranks=tuple(split_list(self.ranks.data)),
            staff_nos=tuple(self.staff_list()),
        )

    @property
    def original_exam_id(self) -> int | None:
        value = self.original_exam.data or ""
        return int(value) if self.kind.data == "make_up" and value.isdigit() else None

    def exam_request(self) -> ExamRequest:
        return ExamRequest(
            blueprint_id=self.blueprint.data or "",
            title=self.title.data or "",
            kind=self.kind.data or "",
            opens_at=self._moment(self.opens_at),
            closes_at=self._moment(self.closes_at),
            rule=self.rule(),
            time_limit_minutes=self.time_limit_minutes.data,
            attempts_allowed=self.attempts_allowed.data or 1,
            review_policy=self.review_policy.data or "",
            original_exam_id=self.original_exam_id,
            extensions=parse_extensions(self.extensions.data or ""),
        )

    def show_error(self, code: str, message: str) -> None:
        """Put a refusal of the service beside the field it is about."""
        field = {
            "blueprint_not_found": self.blueprint,
            "bad_exam_kind": self.kind,
            "bad_review_policy": self.review_policy,
            "exam_title_required": self.title,
            "exam_window_empty": self.closes_at,
            "bad_attempts_allowed": self.attempts_allowed,
            "bad_time_limit_minutes": self.time_limit_minutes,
            "make_up_needs_original": self.original_exam,
            "exam_not_found": self.original_exam,
            "unit_not_found": self.units,
            "unknown_staff_numbers": self.staff_nos,
            "extension_not_eligible": self.extensions,
        }.get(code)
        if field is None:
            self.general_errors.append(message)
        else:
            field.errors = [*field.errors, message]


class ExtensionForm(FlaskForm):
    staff_no = StringField(
        _l("Staff number"), filters=[strip], validators=[InputRequired(), Length(max=40)]
    )
    minutes = IntegerField(
        _l("Extra minutes"),
        validators=[InputRequired(), NumberRange(min=0, max=600)],
        render_kw={"min": 0, "max": 600},
        description=_l("The total extra time; 0 takes it away."),
    )
