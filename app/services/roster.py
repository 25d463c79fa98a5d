"""Importing a roster: units, cadres and candidate accounts, all or nothing."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.domain.people import Role
from app.domain.roster import RosterEntry, RosterParse, parse_roster
from app.domain.tables import CellError
from app.models import Cadre, PendingUpload, Unit, User, UserRole
from app.services import audit
from app.services.accounts import generate_password, hash_password
from app.services.errors import NotFound, ServiceError
from app.services.tables import read_table
from app.services.units import ensure_unit_path, unit_label
from app.timeutil import utcnow


class RosterRejected(ServiceError):
    """The roster has bad rows; nothing was imported."""

    code = "roster_rejected"

    def __init__(self, errors: list[CellError]) -> None:
        super().__init__(count=len(errors))
        self.errors = errors


@dataclass(frozen=True)
class Credential:
    staff_no: str
    name: str
    unit: str
    username: str
    password: str


@dataclass
class RosterResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    units_created: list[str] = field(default_factory=list)
    credentials: list[Credential] = field(default_factory=list)

    def credentials_csv(self) -> bytes:
        """The new accounts' initial passwords as CSV, UTF-8 with BOM for Excel."""
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(["工号", "姓名", "单位", "用户名", "初始密码"])
        for item in self.credentials:
            writer.writerow([item.staff_no, item.name, item.unit, item.username, item.password])
        return buffer.getvalue().encode("utf-8-sig")


def parse_roster_file(filename: str, content: bytes) -> RosterParse:
    """Read and check a roster file without touching the database."""
    return parse_roster(read_table(filename, content))


def preview_roster(session: Session, parsed: RosterParse) -> dict[str, int]:
    """Count what an import would do: new and existing cadres."""
    staff_nos = [entry.staff_no for entry in parsed.entries]
    existing = set(session.scalars(select(Cadre.staff_no).where(Cadre.staff_no.in_(staff_nos))))
    return {
        "new": len(staff_nos) - len(existing),
        "existing": len(existing),
        "total": len(staff_nos),
    }


def import_roster(
    session: Session, actor_id: int | None, parsed: RosterParse, source: str, ip: str = ""
) -> RosterResult:
    """Create or update every cadre of a parsed roster in one transaction.

    New cadres get a candidate account named by their staff number with a
    random initial password that must be changed at first login. Any bad row
    raises RosterRejected and nothing is stored.
    """
    try:
        result = _apply_roster(session, actor_id, parsed, source, ip)
        session.commit()
    except Exception:
        session.rollback()
        raise
    return result


def import_held_roster(
    session: Session, actor_id: int | None, upload: PendingUpload, ip: str = ""
) -> RosterResult:
    """Import a roster held for confirmation, keeping its credentials for one download.

    The import and the credentials are committed together, so passwords of
    created accounts can never be lost between the two.
    """
    if upload.confirmed_at is not None:
        raise NotFound("upload_not_found")
    parsed = parse_roster_file(upload.filename, upload.content)
    try:
        result = _apply_roster(session, actor_id, parsed, upload.filename, ip)
        upload.handout = result.credentials_csv() if result.credentials else None
        upload.confirmed_at = utcnow()
        upload.content = b""
        session.commit()
    except Exception:
        session.rollback()
        raise
    return result


def _apply_roster(
    session: Session, actor_id: int | None, parsed: RosterParse, source: str, ip: str
) -> RosterResult:
    if parsed.errors:
        raise RosterRejected(parsed.errors)
    conflicts = _account_conflicts(session, parsed.entries)
    if conflicts:
        raise RosterRejected(conflicts)
    result = RosterResult()
    for entry in parsed.entries:
        _apply_entry(session, entry, result)
    audit.record(
        session,
        actor_id,
        "roster.import",
        "roster",
        source,
        ip=ip,
        created=result.created,
        updated=result.updated,
        unchanged=result.unchanged,
        accounts=len(result.credentials),
        units_created=result.units_created,
    )
    return result


def _account_conflicts(session: Session, entries: list[RosterEntry]) -> list[CellError]:
    """Rows whose staff number is already a username of an account not linked to that cadre."""
    staff_nos = [entry.staff_no for entry in entries]
    users = session.scalars(select(User).where(User.username.in_(staff_nos))).all()
    taken = {user.username: user for user in users}
    errors = []
    for entry in entries:
        user = taken.get(entry.staff_no)
        if user is not None and (user.cadre is None or user.cadre.staff_no != entry.staff_no):
            errors.append(
                CellError(entry.row, "工号", "staff_no_is_username", (("value", entry.staff_no),))
            )
    return errors


def _apply_entry(session: Session, entry: RosterEntry, result: RosterResult) -> None:
    unit, created_units = ensure_unit_path(session, list(entry.unit_path))
    result.units_created.extend(unit_label(u) for u in created_units)
    cadre = session.scalar(select(Cadre).where(Cadre.staff_no == entry.staff_no))
    values = {
        "name": entry.name,
        "unit_id": unit.id,
        "position": entry.position,
        "rank": entry.rank,
        "category": entry.category.value,
    }
    if cadre is None:
        cadre = Cadre(staff_no=entry.staff_no, **values)
        session.add(cadre)
        result.created += 1
    elif any(getattr(cadre, key) != value for key, value in values.items()):
        for key, value in values.items():
            setattr(cadre, key, value)
        result.updated += 1
    else:
        result.unchanged += 1
    session.flush()
    if cadre.user is None:
        _create_candidate_account(session, cadre, unit, result)


def _create_candidate_account(
    session: Session, cadre: Cadre, unit: Unit, result: RosterResult
) -> None:
    password = generate_password()
    user = User(
        username=cadre.staff_no,
        password_hash=hash_password(password, generated=True),
        must_change_password=True,
        role_rows=[UserRole(role=Role.CANDIDATE.value)],
    )
    user.cadre = cadre
    session.add(user)
    result.credentials.append(
        Credential(cadre.staff_no, cadre.name, unit_label(unit), cadre.staff_no, password)
    )
