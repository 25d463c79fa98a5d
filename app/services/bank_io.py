"""Moving the bank between YAML files and the database: validate, import, export.

An import is all or nothing and idempotent: unchanged questions stay as they
are, changed ones get a new immutable version (papers keep the versions they
drew), and any error anywhere leaves the database untouched.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.domain import bank as core
from app.domain.blueprints import (
    blueprint_mapping,
    check_blueprint,
    dump_blueprint,
    parse_blueprint_file,
)
from app.models import Blueprint as BlueprintRow
from app.models import Law, Question, QuestionVersion
from app.services import audit
from app.services.errors import ServiceError
from app.services.laws import flag_questions_citing

BLUEPRINTS_DIR = "blueprints"
UNSAFE_LAW_STATUSES = ("amended", "repealed")


class BankRejected(ServiceError):
    """The bank has errors; nothing was imported."""

    code = "bank_rejected"

    def __init__(self, errors: list[core.BankError]) -> None:
        super().__init__(count=len(errors))
        self.errors = errors


@dataclass
class ImportReport:
    added: list[str] = field(default_factory=list)
    new_version: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    retired: list[str] = field(default_factory=list)
    status_changed: list[str] = field(default_factory=list)
    needs_review: list[str] = field(default_factory=list)
    laws_added: list[str] = field(default_factory=list)
    laws_changed: list[str] = field(default_factory=list)
    blueprints_added: list[str] = field(default_factory=list)
    blueprints_changed: list[str] = field(default_factory=list)
    dry_run: bool = False

    def counts(self) -> dict[str, int]:
        return {
            name: len(getattr(self, name))
            for name in (
                "added",
                "new_version",
                "unchanged",
                "retired",
                "status_changed",
                "needs_review",
                "laws_added",
                "laws_changed",
                "blueprints_added",
                "blueprints_changed",
            )
        }


# ---- reading files ------------------------------------------------------------------------


def bank_files(paths: list[Path]) -> list[Path]:
    """The YAML files of a bank: given files, and the *.yaml under given folders
    (blueprints/ excluded), in a stable order."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(
                sorted(
                    p
                    for p in path.rglob("*.yaml")
                    if BLUEPRINTS_DIR not in p.relative_to(path).parts[:-1]
                )
            )
        else:
            found.append(path)
    return found


def read_bank(paths: list[Path]) -> core.Bank:
    """Read and validate the bank at `paths` (folders or files)."""
    files: list[tuple[str, str]] = []
    unreadable: list[core.BankError] = []
    for path in bank_files(paths):
        try:
            files.append((str(path), path.read_text(encoding="utf-8")))
        except FileNotFoundError:
            unreadable.append(core.BankError(str(path), 0, "file_missing"))
        except UnicodeDecodeError as error:
            unreadable.append(
                core.BankError(str(path), 1, "not_utf8", params=(("offset", str(error.start)),))
            )
    bank = (
        core.load_bank(files)
        if files
        else core.Bank(
            errors=[core.BankError(", ".join(map(str, paths)) or "(bank)", 0, "no_bank_files")]
        )
    )
    bank.errors[:0] = unreadable
    _read_blueprints(paths, bank)
    return bank


def _read_blueprints(paths: list[Path], bank: core.Bank) -> None:
    """Add the blueprints/ of each bank folder to `bank`, checking their topics exist."""
    topics = {question.content.topic for question in bank.questions}
    seen: dict[str, str] = {}
    for folder in (path / BLUEPRINTS_DIR for path in paths if path.is_dir()):
        for path in sorted(folder.glob("*.yaml")) if folder.is_dir() else []:
            try:
                text = path.read_text(encoding="utf-8")
            except UnicodeDecodeError as error:
                bank.errors.append(
                    core.BankError(str(path), 1, "not_utf8", params=(("offset", str(error.start)),))
                )
                continue
            blueprint, errors = parse_blueprint_file(str(path), text)
            bank.errors.extend(errors)
            if blueprint is None:
                continue
            if blueprint.id in seen:
                bank.errors.append(
                    core.BankError(
                        str(path),
                        1,
                        "duplicate_blueprint",
                        blueprint.id,
                        (("first", seen[blueprint.id]),),
                    )
                )
                continue
            seen[blueprint.id] = str(path)
            for section in blueprint.sections:
                for topic, _ in section.topics:
                    if topic not in topics:
                        bank.errors.append(
                            core.BankError(
                                str(path),
                                1,
                                "unknown_topic",
                                blueprint.id,
                                (("topic", topic), ("section", section.title)),
                            )
                        )
            bank.blueprints.append((blueprint, str(path)))


# ---- between the core and the tables ------------------------------------------------------


def content_of(version: QuestionVersion) -> core.QuestionContent:
    answer = version.answer if isinstance(version.answer, bool) else tuple(version.answer)
    return core.QuestionContent(
        type=version.type,
        stem=version.stem,
        options=tuple((key, text) for key, text in version.options),
        answer=answer,
        law=version.law_id or "",
        article=version.article,
        explanation=version.explanation,
        difficulty=version.difficulty,
        tags=tuple(version.tags),
        topic=version.topic,
    )


def version_from(
    content: core.QuestionContent, number: int, actor_id: int | None
) -> QuestionVersion:
    return QuestionVersion(
        number=number,
        content_hash=content.content_hash(),
        topic=content.topic,
        type=content.type,
        difficulty=content.difficulty,
        stem=content.stem,
        options=[list(option) for option in content.options],
        answer=content.answer if isinstance(content.answer, bool) else list(content.answer),
        law_id=content.law or None,
        article=content.article,
        explanation=content.explanation,
        tags=list(content.tags),
        created_by_id=actor_id,
    )


def law_of(row: Law) -> core.Law:
    return core.Law(
        row.id, row.title, row.version, row.effective, row.status, row.replaced_by or ""
    )


# ---- import -------------------------------------------------------------------------------


def import_bank(
    session: Session,
    actor_id: int | None,
    bank: core.Bank,
    *,
    retire_missing: bool = False,
    dry_run: bool = False,
    source: str = "",
    ip: str = "",
) -> ImportReport:
    """Bring the database in line with `bank` in one transaction; a dry run only reports."""
    if bank.errors:
        raise BankRejected(bank.errors)
    report = ImportReport(dry_run=dry_run)
    try:
        laws, lapsed = _apply_laws(session, bank.laws, report)
        _apply_blueprints(session, actor_id, bank.blueprints, report)
        _apply_questions(session, actor_id, bank.questions, laws, lapsed, report, retire_missing)
        # Questions this import did not bring still cite the lapsed laws.
        for law_id in sorted(lapsed):
            for question_id in flag_questions_citing(session, law_id):
                report.status_changed.append(question_id)
                report.needs_review.append(question_id)
        audit.record(
            session,
            actor_id,
            "bank.import",
            "bank",
            source[:64],
            ip=ip,
            dry_run=dry_run,
            **report.counts(),
        )
        if dry_run:
            session.rollback()
        else:
            session.commit()
    except Exception:
        session.rollback()
        raise
    return report


def _apply_laws(
    session: Session, laws: dict[str, core.Law], report: ImportReport
) -> tuple[dict[str, Law], set[str]]:
    """Upsert the registry; return the rows and the ids of laws that just stopped being in force."""
    rows = {row.id: row for row in session.scalars(select(Law))}
    lapsed: set[str] = set()
    for law in laws.values():
        row = rows.get(law.id)
        values = {
            "title": law.title,
            "version": law.version,
            "effective": law.effective,
            "status": law.status,
        }
        if row is None:
            row = Law(id=law.id, **values)
            session.add(row)
            rows[law.id] = row
            report.laws_added.append(law.id)
            continue
        if row.status not in UNSAFE_LAW_STATUSES and law.status in UNSAFE_LAW_STATUSES:
            lapsed.add(law.id)
        if any(getattr(row, key) != value for key, value in values.items()):
            for key, value in values.items():
                setattr(row, key, value)
            report.laws_changed.append(law.id)
    session.flush()
    for law in laws.values():  # replacements may point at laws added above
        if (rows[law.id].replaced_by or "") != law.replaced_by:
            rows[law.id].replaced_by = law.replaced_by or None
            if law.id not in report.laws_changed and law.id not in report.laws_added:
                report.laws_changed.append(law.id)
    session.flush()
    return rows, lapsed


def _apply_questions(
    session: Session,
    actor_id: int | None,
    questions: list[core.Question],
    laws: dict[str, Law],
    lapsed: set[str],
    report: ImportReport,
    retire_missing: bool,
) -> None:
    existing = {q.id: q for q in session.scalars(select(Question))}
    new_versions: list[tuple[Question, QuestionVersion]] = []
    for incoming in questions:
        content = incoming.content
        row = existing.get(incoming.id)
        source = Path(incoming.source).name
        if row is None:
            status = _status_for(incoming.status, content.law, laws)
            row = Question(
                id=incoming.id,
                status=status,
                source_file=source,
                review_reason=_review_reason(status, incoming.status),
            )
            session.add(row)
            new_versions.append((row, version_from(content, 1, actor_id)))
            report.added.append(incoming.id)
            _note_review(report, incoming.id, status)
            continue
        row.source_file = source or row.source_file
        if row.current is None or row.current.content_hash != content.content_hash():
            number = (row.current.number if row.current else 0) + 1
            new_versions.append((row, version_from(content, number, actor_id)))
            report.new_version.append(incoming.id)
            _set_status(
                row, _status_for(incoming.status, content.law, laws), incoming.status, report
            )
            continue
        report.unchanged.append(incoming.id)
        if row.status == "needs_review" and incoming.status == "approved":
            continue  # a file that still says "approved" has not reviewed a flagged question
        if content.law in lapsed or (row.status != "approved" and incoming.status == "approved"):
            # Newly approved (or its law just lapsed): the law must still be in force.
            status = _status_for(incoming.status, content.law, laws)
        else:
            status = incoming.status  # an examiner's earlier re-approval stands
        _set_status(row, status, incoming.status, report)
    session.flush()
    for row, version in new_versions:
        version.question_id = row.id
        session.add(version)
    session.flush()
    for row, version in new_versions:
        row.current_version_id = version.id
    if retire_missing:
        incoming_ids = {q.id for q in questions}
        for row in existing.values():
            if row.id not in incoming_ids and row.status != "retired":
                row.status = "retired"
                report.retired.append(row.id)
    session.flush()


def _apply_blueprints(
    session: Session, actor_id: int | None, blueprints: list, report: ImportReport
) -> None:
    for blueprint, source in blueprints:
        definition = blueprint_mapping(blueprint)
        row = session.get(BlueprintRow, blueprint.id)
        if row is None:
            session.add(
                BlueprintRow(
                    id=blueprint.id,
                    title=blueprint.title,
                    kind=blueprint.kind,
                    definition=definition,
                    source_file=Path(source).name,
                    updated_by_id=actor_id,
                )
            )
            report.blueprints_added.append(blueprint.id)
        elif row.definition != definition:
            row.title, row.kind, row.definition = blueprint.title, blueprint.kind, definition
            row.updated_by_id = actor_id
            report.blueprints_changed.append(blueprint.id)
    session.flush()


def _status_for(status: str, law_id: str, laws: dict[str, Law]) -> str:
    """New wording that cites a law no longer in force needs review before it reaches papers."""
    law = laws.get(law_id)
    if status == "approved" and law is not None and law.status in UNSAFE_LAW_STATUSES:
        return "needs_review"
    return status


def _review_reason(status: str, declared: str) -> str:
    return "law_changed" if status == "needs_review" and declared != "needs_review" else ""


def _note_review(report: ImportReport, question_id: str, status: str) -> None:
    if status == "needs_review":
        report.needs_review.append(question_id)


def _set_status(row: Question, status: str, declared: str, report: ImportReport) -> None:
    if row.status != status:
        row.status = status
        row.review_reason = _review_reason(status, declared)
        report.status_changed.append(row.id)
        _note_review(report, row.id, status)


# ---- export -------------------------------------------------------------------------------


def current_bank(session: Session) -> core.Bank:
    """The database's bank as core objects: every law, every question's current version."""
    laws = {row.id: law_of(row) for row in session.scalars(select(Law))}
    questions = [
        core.Question(row.id, content_of(row.current), row.status, row.source_file)
        for row in session.scalars(select(Question).where(Question.current_version_id.isnot(None)))
    ]
    return core.Bank(laws=laws, questions=questions)


def export_files(session: Session) -> dict[str, str]:
    """laws.yaml and one file per topic, named as the topic's questions were imported."""
    bank = current_bank(session)
    by_topic: dict[str, list[core.Question]] = defaultdict(list)
    for question in bank.questions:
        by_topic[question.content.topic].append(question)
    files = {core.LAWS_FILE: core.dump_laws(bank.laws.values())}
    for topic, questions in sorted(by_topic.items()):
        names = Counter(
            q.source for q in questions if q.source.endswith(".yaml") and q.source != core.LAWS_FILE
        )
        name = min(names, key=lambda n: (-names[n], n)) if names else f"{topic}.yaml"
        while name in files:  # two topics once read from one file
            name = f"{Path(name).stem}-{topic}.yaml"
        files[name] = core.dump_topic(topic, questions)
    for row in session.scalars(select(BlueprintRow).order_by(BlueprintRow.id)):
        blueprint, _ = check_blueprint(row.definition)
        if blueprint is not None:
            files[f"{BLUEPRINTS_DIR}/{row.id}.yaml"] = dump_blueprint(blueprint)
    return files


def export_bank(session: Session, target: Path) -> list[Path]:
    """Write the bank as YAML files into `target`."""
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in export_files(session).items():
        path = target / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
