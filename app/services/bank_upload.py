"""The bank over the web: an uploaded file read as a bank, previewed, imported; the bank zipped.

An upload is a topic file (.yaml), the registry (laws.yaml), a .zip of such
files, or a spreadsheet (.xlsx, .csv). Whatever it holds is checked against
the laws it brings plus the laws already in the database, and imported with
`bank_io.import_bank`: first as a dry run for the preview, then for real when
the examiner confirms. A zip is read with limits, so a small upload cannot
unpack into gigabytes.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.domain import bank as core
from app.models import Law, PendingUpload
from app.services import bank_io, bank_sheets, uploads
from app.services.errors import InvalidInput

UPLOAD_PURPOSE = "bank"
YAML_SUFFIX = ".yaml"
MAX_ZIP_FILES = 500
MAX_ZIP_UNPACKED_BYTES = 64 * 1024 * 1024
READ_CHUNK = 64 * 1024
# The registry as the database holds it, added to every upload so that a topic
# file may cite laws it does not bring. Its name marks it as a laws file.
DATABASE_LAWS = "(database)/" + core.LAWS_FILE


@dataclass(frozen=True)
class UploadOptions:
    """How to read a spreadsheet: column mapping, topic and id prefix when it lacks them."""

    mapping: dict[str, str] = field(default_factory=dict)
    topic: str = ""
    id_prefix: str = ""


def bank_from_upload(
    session: Session,
    filename: str,
    content: bytes,
    *,
    mapping: dict[str, str] | None = None,
    topic: str = "",
    id_prefix: str = "",
) -> core.Bank:
    """Read an uploaded file as a bank checked against the database's laws.

    Problems in the content are the bank's errors (file:line); a file that
    cannot be a bank at all (wrong type, broken or oversized zip) raises
    InvalidInput.
    """
    suffix = PurePosixPath(filename).suffix.lower()
    if bank_sheets.is_sheet(filename):
        return bank_sheets.read_sheet_bank(
            session,
            filename,
            content,
            mapping=mapping or None,
            topic=topic or None,
            id_prefix=id_prefix or None,
        )
    if suffix == YAML_SUFFIX:
        files, errors = [(filename, content)], []
    elif suffix == ".zip":
        files, errors = _zip_members(content)
    else:
        raise InvalidInput("unsupported_bank_file", filename=filename)
    texts: list[tuple[str, str]] = []
    for path, data in files:
        try:
            texts.append((path, data.decode("utf-8-sig")))
        except UnicodeDecodeError as error:
            errors.append(
                core.BankError(path, 1, "not_utf8", params=(("offset", str(error.start)),))
            )
    if not texts and not errors:
        errors.append(core.BankError(filename, 0, "no_bank_files"))
    registry = [bank_io.law_of(row) for row in session.scalars(select(Law))]
    # Uploaded laws come first: where both hold a law, the upload's wins.
    bank = core.load_bank([*texts, (DATABASE_LAWS, core.dump_laws(registry))])
    bank.errors[:0] = errors
    return bank


def _zip_members(content: bytes) -> tuple[list[tuple[str, bytes]], list[core.BankError]]:
    """The *.yaml files of a zip (blueprints/ and hidden files skipped), read within limits."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
    except (zipfile.BadZipFile, ValueError):
        raise InvalidInput("broken_zip") from None
    with archive:
        members = [info for info in archive.infolist() if not info.is_dir()]
        if len(members) > MAX_ZIP_FILES:
            raise InvalidInput("zip_too_many_files", limit=MAX_ZIP_FILES)
        if sum(info.file_size for info in members) > MAX_ZIP_UNPACKED_BYTES:
            raise _too_large()
        budget = MAX_ZIP_UNPACKED_BYTES
        files = []
        for info in sorted(members, key=lambda item: item.filename):
            if not _is_bank_member(info.filename):
                continue
            data = _read_member(archive, info, budget)
            budget -= len(data)
            files.append((info.filename, data))
    return files, []


def _is_bank_member(name: str) -> bool:
    path = PurePosixPath(name)
    hidden = any(part.startswith((".", "__MACOSX")) for part in path.parts)
    return path.suffix.lower() == YAML_SUFFIX and not hidden and "blueprints" not in path.parts[:-1]


def _read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, budget: int) -> bytes:
    """The member's bytes, stopping as soon as it passes `budget`: sizes in a zip can lie."""
    chunks = []
    size = 0
    try:
        with archive.open(info) as member:
            while chunk := member.read(READ_CHUNK):
                size += len(chunk)
                if size > budget:
                    raise _too_large()
                chunks.append(chunk)
    except (zipfile.BadZipFile, RuntimeError, NotImplementedError, OSError, EOFError):
        # Damaged, encrypted or compressed with a method Python cannot read.
        raise InvalidInput("broken_zip") from None
    return b"".join(chunks)


def _too_large() -> InvalidInput:
    return InvalidInput("zip_too_large", limit=MAX_ZIP_UNPACKED_BYTES // (1024 * 1024))


# ---- preview and confirm ------------------------------------------------------------------


@dataclass
class UploadPreview:
    """What an upload would do (`report`), or why it cannot be imported (`errors`)."""

    filename: str
    errors: list[core.BankError] = field(default_factory=list)
    report: bank_io.ImportReport | None = None
    token: str = ""


def preview_upload(
    session: Session, actor_id: int, filename: str, content: bytes, options: UploadOptions
) -> UploadPreview:
    """Dry-run the upload; when it is clean, hold it for confirmation."""
    bank = _read(session, filename, content, options)
    if bank.errors:
        return UploadPreview(filename, errors=bank.errors)
    try:
        report = _import(session, actor_id, bank, filename, dry_run=True, ip="")
    except bank_io.BankRejected as error:
        return UploadPreview(filename, errors=error.errors)
    token = uploads.hold(session, actor_id, UPLOAD_PURPOSE, filename, content)
    return UploadPreview(filename, report=report, token=token)


def fetch_upload(session: Session, actor_id: int, token: str) -> PendingUpload:
    return uploads.fetch(session, actor_id, UPLOAD_PURPOSE, token)


def import_upload(
    session: Session,
    actor_id: int,
    upload: PendingUpload,
    options: UploadOptions,
    ip: str = "",
) -> bank_io.ImportReport:
    """Import a held upload for real and forget it, in one transaction.

    Raises BankRejected when the database changed since the preview so that
    the file no longer fits (a law it cites was removed, say).
    """
    bank = _read(session, upload.filename, upload.content, options)
    filename = upload.filename
    session.delete(upload)  # committed with the import, or rolled back with it
    return _import(session, actor_id, bank, filename, dry_run=False, ip=ip)


def _read(session: Session, filename: str, content: bytes, options: UploadOptions) -> core.Bank:
    return bank_from_upload(
        session,
        filename,
        content,
        mapping=options.mapping,
        topic=options.topic,
        id_prefix=options.id_prefix,
    )


def _import(
    session: Session,
    actor_id: int,
    bank: core.Bank,
    filename: str,
    *,
    dry_run: bool,
    ip: str,
) -> bank_io.ImportReport:
    """import_bank (which also sends questions citing a law it retires to review)."""
    return bank_io.import_bank(session, actor_id, bank, dry_run=dry_run, source=filename, ip=ip)


# ---- download -----------------------------------------------------------------------------


def export_zip(session: Session) -> bytes:
    """The bank as a zip of YAML files: laws.yaml and one file per topic."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, text in bank_io.export_files(session).items():
            archive.writestr(name, text.encode("utf-8"))
    return buffer.getvalue()
