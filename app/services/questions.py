"""Examiners' work on single questions: find, read, compare, write, approve, retire, review.

A question's wording lives in immutable versions: saving changed content adds
a version and points the question at it; papers keep the versions they drew.
Every rule about what a question may say is the YAML validator's
(`core.check_question`), so a question typed into a form obeys the same rules
as one read from a file.
"""

from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select, true
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, contains_eager, joinedload

from app.domain import bank as core
from app.models import Law, Question, QuestionVersion, User
from app.services import audit
from app.services.bank_io import content_of, law_of, version_from
from app.services.errors import Conflict, InvalidInput, NotFound, ServiceError

IN_FORCE = "in_force"
EDITABLE_STATUSES = ("draft", "approved")
# Fields shown as text, compared line by line.
TEXT_FIELDS = ("stem", "options", "explanation")
DIFF_FIELDS = (
    "type",
    "topic",
    "difficulty",
    "stem",
    "options",
    "answer",
    "law",
    "article",
    "explanation",
    "tags",
)
LIKE_ESCAPE = "\\"


class QuestionInvalid(ServiceError):
    """The question breaks the bank's rules; nothing was saved. `errors` lists each one."""

    code = "question_invalid"

    def __init__(self, errors: list[core.BankError]) -> None:
        super().__init__(count=len(errors))
        self.errors = errors


# ---- finding ------------------------------------------------------------------------------


@dataclass(frozen=True)
class QuestionFilter:
    """What the list shows: every criterion given must hold; `text` words must all occur."""

    text: str = ""
    topic: str = ""
    type: str = ""
    law: str = ""
    difficulty: int | None = None
    status: str = ""
    tag: str = ""


def _like(term: str) -> str:
    """A LIKE pattern matching `term` anywhere, its % and _ taken literally."""
    for special in (LIKE_ESCAPE, "%", "_"):
        term = term.replace(special, LIKE_ESCAPE + special)
    return f"%{term}%"


def _json_elements(session: Session, column: Any, *, as_text: bool) -> Any:
    """The elements of a JSON array column as a table with a `value` column, per dialect.

    Options and tags are JSON arrays; searching them in SQL keeps a search from
    loading the bank. SQLite and PostgreSQL name the function differently.
    """
    if session.get_bind().dialect.name == "postgresql":
        name = "json_array_elements_text" if as_text else "json_array_elements"
        return getattr(func, name)(column).table_valued("value").alias("element")
    return func.json_each(column).table_valued("value").alias("element")


def _option_text_matches(session: Session, pattern: str) -> ColumnElement[bool]:
    elements = _json_elements(session, QuestionVersion.options, as_text=False)
    if session.get_bind().dialect.name == "postgresql":
        text = elements.c.value.op("->>")(1)
    else:
        text = func.json_extract(elements.c.value, "$[1]")
    return select(1).select_from(elements).where(text.ilike(pattern, escape=LIKE_ESCAPE)).exists()


def _has_tag(session: Session, tag: str) -> ColumnElement[bool]:
    elements = _json_elements(session, QuestionVersion.tags, as_text=True)
    return select(1).select_from(elements).where(elements.c.value == tag).exists()


def _conditions(session: Session, criteria: QuestionFilter) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    for term in criteria.text.split():
        pattern = _like(term)
        conditions.append(
            or_(
                Question.id.ilike(pattern, escape=LIKE_ESCAPE),
                QuestionVersion.stem.ilike(pattern, escape=LIKE_ESCAPE),
                QuestionVersion.explanation.ilike(pattern, escape=LIKE_ESCAPE),
                QuestionVersion.article.ilike(pattern, escape=LIKE_ESCAPE),
                _option_text_matches(session, pattern),
            )
        )
    if criteria.topic:
        conditions.append(QuestionVersion.topic == criteria.topic)
    if criteria.type:
        conditions.append(QuestionVersion.type == criteria.type)
    if criteria.law:
        conditions.append(QuestionVersion.law_id == criteria.law)
    if criteria.difficulty is not None:
        conditions.append(QuestionVersion.difficulty == criteria.difficulty)
    if criteria.status:
        conditions.append(Question.status == criteria.status)
    if criteria.tag.strip():
        conditions.append(_has_tag(session, criteria.tag.strip()))
    return conditions


def search(
    session: Session, criteria: QuestionFilter, page: int = 1, per_page: int = 50
) -> tuple[list[Question], int]:
    """One page of the questions whose current version matches, in id order; and the total."""
    where = and_(true(), *_conditions(session, criteria))
    total = session.scalar(
        select(func.count()).select_from(Question).join(Question.current).where(where)
    )
    rows = session.scalars(
        select(Question)
        .join(Question.current)
        .options(contains_eager(Question.current).joinedload(QuestionVersion.law))
        .where(where)
        .order_by(Question.id)
        .limit(per_page)
        .offset((max(page, 1) - 1) * per_page)
    ).unique()
    return list(rows), total or 0


@dataclass(frozen=True)
class Facets:
    """What the filters can choose from."""

    topics: list[str]
    tags: list[str]
    laws: list[Law]


def facets(session: Session) -> Facets:
    topics = session.scalars(
        select(QuestionVersion.topic)
        .join(Question, Question.current_version_id == QuestionVersion.id)
        .distinct()
        .order_by(QuestionVersion.topic)
    ).all()
    versions = (
        select(QuestionVersion.tags)
        .join(Question, Question.current_version_id == QuestionVersion.id)
        .subquery()
    )
    elements = _json_elements(session, versions.c.tags, as_text=True)
    tags = session.scalars(
        select(elements.c.value)
        .select_from(versions)
        .join(elements, true())  # each version with its own tags (implicitly lateral)
        .distinct()
        .order_by(elements.c.value)
    ).all()
    laws = session.scalars(select(Law).order_by(Law.id)).all()
    return Facets(list(topics), [str(tag) for tag in tags], list(laws))


def bank_counts(session: Session) -> dict[str, Any]:
    """Questions in total and by status (the review queue is `needs_review`)."""
    by_status = dict(
        session.execute(select(Question.status, func.count()).group_by(Question.status)).all()
    )
    return {
        "total": sum(by_status.values()),
        "by_status": {status: by_status.get(status, 0) for status in core.QUESTION_STATUSES},
    }


# ---- reading one --------------------------------------------------------------------------


def get_question(session: Session, question_id: str) -> Question:
    question = session.get(Question, question_id)
    if question is None or question.current is None:
        raise NotFound("question_not_found", question_id=question_id)
    return question


def get_version(question: Question, number: int) -> QuestionVersion:
    for version in question.versions:
        if version.number == number:
            return version
    raise NotFound("version_not_found", question_id=question.id, number=number)


@dataclass(frozen=True)
class QuestionPage:
    """A question with what its page shows beside it."""

    question: Question
    versions: list[QuestionVersion]  # newest first
    authors: dict[int, str]  # user id -> name, for the version history
    law: Law | None
    successor: Law | None  # the law in force that replaced the cited one, if any


def question_page(session: Session, question_id: str) -> QuestionPage:
    question = get_question(session, question_id)
    versions = sorted(question.versions, key=lambda v: v.number, reverse=True)
    author_ids = {v.created_by_id for v in versions if v.created_by_id is not None}
    authors = {
        user.id: user.name for user in session.scalars(select(User).where(User.id.in_(author_ids)))
    }
    law = question.current.law if question.current else None
    return QuestionPage(question, versions, authors, law, successor_in_force(session, law))


def successor_in_force(session: Session, law: Law | None) -> Law | None:
    """Follow `replaced_by` from a law no longer in force to the version in force, if any."""
    seen: set[str] = set()
    while law is not None and law.status != IN_FORCE and law.replaced_by:
        if law.id in seen:  # a loop in the registry; nothing in force at its end
            return None
        seen.add(law.id)
        law = session.get(Law, law.replaced_by)
    return law if law is not None and law.status == IN_FORCE else None


# ---- comparing versions -------------------------------------------------------------------


@dataclass(frozen=True)
class DiffLine:
    """One line of a text diff: `kind` is same, removed or added; `parts` mark changed spans."""

    kind: str
    parts: tuple[tuple[bool, str], ...]  # (changed, text)

    @property
    def text(self) -> str:
        return "".join(text for _, text in self.parts)


@dataclass(frozen=True)
class FieldDiff:
    field: str
    before: Any
    after: Any
    lines: tuple[DiffLine, ...] = ()  # text fields only

    @property
    def changed(self) -> bool:
        return self.before != self.after


def _field_values(version: QuestionVersion) -> dict[str, Any]:
    content = content_of(version)
    return {
        "type": content.type,
        "topic": content.topic,
        "difficulty": content.difficulty,
        "stem": content.stem,
        "options": content.options,
        "answer": content.answer,
        "law": content.law,
        "article": content.article,
        "explanation": content.explanation,
        "tags": content.tags,
    }


def _text_lines(name: str, value: Any) -> list[str]:
    if name != "options":
        return str(value).split("\n")
    lines = []
    for key, text in value:
        first, *rest = text.split("\n")
        lines.append(f"{key}. {first}")
        lines.extend(f"   {line}" for line in rest)
    return lines


def _changed_spans(before: str, after: str) -> tuple[DiffLine, DiffLine]:
    """A removed and an added line with the characters that differ marked."""
    matcher = difflib.SequenceMatcher(None, before, after, autojunk=False)
    old: list[tuple[bool, str]] = []
    new: list[tuple[bool, str]] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if before[i1:i2]:
            old.append((tag != "equal", before[i1:i2]))
        if after[j1:j2]:
            new.append((tag != "equal", after[j1:j2]))
    return DiffLine("removed", tuple(old)), DiffLine("added", tuple(new))


def line_diff(before: list[str], after: list[str]) -> tuple[DiffLine, ...]:
    """A readable diff of two texts given as lines; paired changed lines mark changed characters."""
    lines: list[DiffLine] = []
    matcher = difflib.SequenceMatcher(None, before, after, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            lines.extend(DiffLine("same", ((False, line),)) for line in before[i1:i2])
            continue
        old, new = before[i1:i2], after[j1:j2]
        if tag == "replace" and len(old) == len(new):
            pairs = [_changed_spans(a, b) for a, b in zip(old, new, strict=True)]
            lines.extend(removed for removed, _ in pairs)
            lines.extend(added for _, added in pairs)
            continue
        lines.extend(DiffLine("removed", ((True, line),)) for line in old)
        lines.extend(DiffLine("added", ((True, line),)) for line in new)
    return tuple(lines)


def diff_versions(old: QuestionVersion, new: QuestionVersion) -> list[FieldDiff]:
    """Field by field, what changed from `old` to `new`; text fields with a line diff."""
    before, after = _field_values(old), _field_values(new)
    diffs = []
    for name in DIFF_FIELDS:
        lines: tuple[DiffLine, ...] = ()
        if name in TEXT_FIELDS and before[name] != after[name]:
            lines = line_diff(_text_lines(name, before[name]), _text_lines(name, after[name]))
        diffs.append(FieldDiff(name, before[name], after[name], lines))
    return diffs


# ---- writing ------------------------------------------------------------------------------


@dataclass(frozen=True)
class SaveResult:
    question: Question
    version_created: bool
    changed: bool


def error_field(error: core.BankError) -> str:
    """The question field an error is about ("options.B" for one option), or "" for none."""
    params = error.param_dict
    if error.code == "empty_option":
        return f"options.{params.get('key', '')}"
    if "field" in params:
        return params["field"]
    return ERROR_FIELDS.get(error.code, "")


ERROR_FIELDS = {
    "bad_id": "id",
    "question_exists": "id",
    "missing_topic": "topic",
    "judge_has_options": "options",
    "options_not_mapping": "options",
    "option_keys": "options",
    "option_count": "options",
    "duplicate_option": "options",
    "judge_answer": "answer",
    "single_answer": "answer",
    "multiple_answer": "answer",
    "answer_repeated": "answer",
    "answer_not_option": "answer",
    "unknown_law": "law",
    "law_not_in_force": "law",
    "bad_difficulty": "difficulty",
    "bad_tags": "tags",
}


def law_label(law: Law) -> str:
    return f"{law.title}（{law.version}）"


def _error(code: str, qid: str, **params: object) -> core.BankError:
    return core.BankError("", 0, code, qid, tuple((k, str(v)) for k, v in params.items()))


def save_question(
    session: Session,
    actor_id: int | None,
    data: Mapping[str, Any],
    topic: str,
    *,
    question_id: str | None = None,
    base_version: int | None = None,
    ip: str = "",
) -> SaveResult:
    """Create a question (no `question_id`) or edit one, by the validator's rules.

    `data` holds the question's fields as a bank file would (id, type, stem,
    options, answer, law, article, explanation, difficulty, tags, status);
    status is draft or approved. An edit whose content is unchanged adds no
    version. Raises QuestionInvalid listing every problem. An edit made from
    `base_version` is refused (Conflict) when someone saved a newer version
    meanwhile, so that it cannot silently undo their change.
    """
    laws = {row.id: row for row in session.scalars(select(Law))}
    fields = dict(data)
    row = get_question(session, question_id) if question_id is not None else None
    if row is not None:
        fields["id"] = row.id
        current = row.current.number if row.current else 0
        if base_version is not None and base_version != current:
            raise Conflict("question_changed_meanwhile", question_id=row.id, version=current)
    checked, errors = core.check_question(
        fields, topic, {law_id: law_of(law) for law_id, law in laws.items()}
    )
    qid = str(fields.get("id", ""))
    if row is None and qid and session.get(Question, qid) is not None:
        errors.append(_error("question_exists", qid, question_id=qid))
    status = str(fields.get("status", "approved"))
    if status not in EDITABLE_STATUSES:
        errors.append(
            _error(
                "bad_choice",
                qid,
                field="status",
                value=status,
                allowed=" | ".join(EDITABLE_STATUSES),
            )
        )
    elif checked is not None and status == "approved":
        law = laws.get(checked.content.law)
        if law is not None and law.status != IN_FORCE:
            errors.append(_error("law_not_in_force", qid, law=law_label(law)))
    if errors or checked is None:
        raise QuestionInvalid(errors)
    try:
        if row is None:
            result = _create(session, actor_id, checked, ip)
        else:
            result = _edit(session, actor_id, row, checked, ip)
        session.commit()
    except IntegrityError:
        # Another save of the same question (or the same new id) won the race.
        session.rollback()
        winner = session.get(Question, qid)
        version = winner.current.number if winner is not None and winner.current else 1
        raise Conflict("question_changed_meanwhile", question_id=qid, version=version) from None
    return result


def _create(session: Session, actor_id: int | None, checked: core.Question, ip: str) -> SaveResult:
    row = Question(id=checked.id, status=checked.status, review_reason="")
    session.add(row)
    _add_version(session, row, checked.content, 1, actor_id)
    audit.record(
        session,
        actor_id,
        "question.create",
        "question",
        row.id,
        ip=ip,
        version=1,
        status=row.status,
    )
    return SaveResult(row, version_created=True, changed=True)


def _edit(
    session: Session, actor_id: int | None, row: Question, checked: core.Question, ip: str
) -> SaveResult:
    assert row.current is not None
    before_version, before_status = row.current.number, row.status
    new_version = row.current.content_hash != checked.content.content_hash()
    if new_version:
        number = max(version.number for version in row.versions) + 1
        _add_version(session, row, checked.content, number, actor_id)
    if not new_version and before_status == checked.status:
        return SaveResult(row, version_created=False, changed=False)
    row.status = checked.status
    row.review_reason = ""
    audit.record(
        session,
        actor_id,
        "question.edit",
        "question",
        row.id,
        ip=ip,
        from_version=before_version,
        version=row.current.number if row.current else before_version,
        from_status=before_status,
        status=row.status,
    )
    return SaveResult(row, version_created=new_version, changed=True)


def _add_version(
    session: Session,
    row: Question,
    content: core.QuestionContent,
    number: int,
    actor_id: int | None,
) -> QuestionVersion:
    version = version_from(content, number, actor_id)
    row.versions.append(version)
    session.flush()
    row.current = version
    return version


# ---- approving, retiring, reviewing -------------------------------------------------------


def _require_citation(session: Session, version: QuestionVersion) -> Law:
    if not version.law_id or not version.article.strip():
        raise InvalidInput("citation_missing")
    law = session.get(Law, version.law_id)
    if law is None:
        raise InvalidInput("citation_missing")
    return law


def approve(session: Session, actor_id: int | None, question_id: str, ip: str = "") -> Question:
    """Let a draft or retired question into papers; it must cite an article of a law in force."""
    row = get_question(session, question_id)
    if row.status not in ("draft", "retired"):
        raise Conflict("cannot_approve")
    assert row.current is not None
    law = _require_citation(session, row.current)
    if law.status != IN_FORCE:
        raise Conflict("law_not_in_force", law=law_label(law))
    before = row.status
    row.status = "approved"
    row.review_reason = ""
    audit.record(
        session, actor_id, "question.approve", "question", row.id, ip=ip, from_status=before
    )
    session.commit()
    return row


def retire(session: Session, actor_id: int | None, question_id: str, ip: str = "") -> Question:
    """Take a question out of new papers for good; its versions stay for old papers."""
    row = get_question(session, question_id)
    if row.status == "retired":
        raise Conflict("already_retired")
    before = row.status
    row.status = "retired"
    row.review_reason = ""
    audit.record(
        session, actor_id, "question.retire", "question", row.id, ip=ip, from_status=before
    )
    session.commit()
    return row


def reapprove(
    session: Session, actor_id: int | None, question_id: str, ip: str = ""
) -> tuple[Question, Law | None]:
    """Approve a question from the review queue as still correct.

    When its law is no longer in force but has a successor in force, the
    question is re-approved citing the successor (same article), which makes a
    new version. Returns the question and the successor it now cites, if any.
    """
    row = get_question(session, question_id)
    if row.status != "needs_review":
        raise Conflict("not_in_review")
    assert row.current is not None
    law = _require_citation(session, row.current)
    moved_to: Law | None = None
    before_version = row.current.number
    if law.status != IN_FORCE:
        moved_to = successor_in_force(session, law)
        if moved_to is None:
            raise Conflict("law_not_in_force", law=law_label(law))
        content = dataclasses.replace(content_of(row.current), law=moved_to.id)
        number = max(version.number for version in row.versions) + 1
        _add_version(session, row, content, number, actor_id)
    reason = row.review_reason
    row.status = "approved"
    row.review_reason = ""
    audit.record(
        session,
        actor_id,
        "question.reapprove",
        "question",
        row.id,
        ip=ip,
        reason=reason,
        from_version=before_version,
        version=row.current.number if row.current else before_version,
        from_law=law.id,
        law=moved_to.id if moved_to else law.id,
    )
    session.commit()
    return row, moved_to


@dataclass(frozen=True)
class ReviewItem:
    question: Question
    law: Law | None
    successor: Law | None


def review_queue(
    session: Session, page: int = 1, per_page: int = 50
) -> tuple[list[ReviewItem], int]:
    """Questions waiting for review, with why and the law they cite; oldest change first."""
    waiting = Question.status == "needs_review"
    total = session.scalar(select(func.count()).select_from(Question).where(waiting)) or 0
    rows = session.scalars(
        select(Question)
        .options(joinedload(Question.current).joinedload(QuestionVersion.law))
        .where(waiting)
        .order_by(Question.updated_at, Question.id)
        .limit(per_page)
        .offset((max(page, 1) - 1) * per_page)
    ).unique()
    items = []
    for row in rows:
        law = row.current.law if row.current else None
        items.append(ReviewItem(row, law, successor_in_force(session, law)))
    return items, total


def law_choices(session: Session) -> list[Law]:
    """Laws a question may cite, in force first."""
    laws = session.scalars(select(Law)).all()
    return sorted(laws, key=lambda law: (law.status != IN_FORCE, law.id))
