"""Unit-scoped HR accounts (单位管理员): which subtree a reader may see, and setting it.

An HR account with `scope_unit_id` sees only that unit and the units below it,
on every page, export and report. Admins and unscoped HR accounts see all.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.domain.people import Role
from app.models import Unit, User
from app.services import audit
from app.services.reports import Scope
from app.services.units import get_unit, unit_label


def scope_of(user: User) -> Scope:
    """The subtree `user` may see: everything for admins and unscoped HR accounts."""
    if user.has_role(Role.ADMIN) or user.scope_unit is None:
        return Scope()
    return Scope(user.scope_unit)


def contains(scope: Scope, unit: Unit | None) -> bool:
    """Whether `unit` lies inside the scope's subtree."""
    if scope.unit is None:
        return True
    return unit is not None and unit.path.startswith(scope.unit.path)


def narrowed(session: Session, scope: Scope, unit_id: int | None) -> Scope | None:
    """The scope of a drill-down to `unit_id`, or None when that unit is outside `scope`."""
    if unit_id is None:
        return scope
    unit = session.get(Unit, unit_id)
    if unit is None or not contains(scope, unit):
        return None
    return Scope(unit)


def units_in(session: Session, scope: Scope) -> list[Unit]:
    """The units a scope covers, in tree order."""
    statement = select(Unit).order_by(Unit.path)
    if scope.unit is not None:
        statement = statement.where(Unit.path.startswith(scope.unit.path))
    return list(session.scalars(statement))


def unit_labels(session: Session) -> dict[int, str]:
    """Every unit's full path of names ('大石桥市/司法局'), from one query."""
    units = session.execute(select(Unit.id, Unit.name, Unit.path)).all()
    names = {unit_id: name for unit_id, name, _ in units}
    return {
        unit_id: "/".join(names.get(int(part), "?") for part in path.strip("/").split("/"))
        for unit_id, _, path in units
        if path
    }


def set_scope_unit(
    session: Session, actor_id: int | None, user: User, unit_id: int | None, ip: str = ""
) -> None:
    """Limit an account to a unit subtree (None lifts the limit), auditing a change."""
    unit = get_unit(session, unit_id) if unit_id else None
    if user.scope_unit_id == (unit.id if unit else None):
        return
    before = unit_label(user.scope_unit) if user.scope_unit else None
    after = unit_label(unit) if unit else None
    user.scope_unit = unit
    audit.record(
        session, actor_id, "user.scope_changed", "user", user.id, ip=ip, scope=[before, after]
    )
    session.commit()
