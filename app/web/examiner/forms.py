"""Examiner forms. They check shape only; the bank's rules live in the validator."""

from __future__ import annotations

import re
from typing import Any

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import (
    DateField,
    HiddenField,
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, Optional, Regexp, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from app.domain import bank as core
from app.models import QuestionVersion
from app.web.examiner.labels import (
    ANY,
    EDITABLE_STATUS_LABELS,
    JUDGE_LABELS,
    STATUS_LABELS,
    TYPE_LABELS,
)
from app.web.labels import LAW_STATUS_LABELS

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
