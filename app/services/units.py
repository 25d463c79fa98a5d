"""The unit tree: add, rename, move, and find units by path."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Unit
from app.services import audit
from app.services.errors import Conflict, InvalidInput, NotFound


@dataclass
class UnitNode:
    """A unit with its children, for showing the tree."""

    unit: Unit
    children: list[UnitNode] = field(default_factory=list)


def get_unit(session: Session, unit_id: int) -> Unit:
    unit = session.get(Unit, unit_id)
    if unit is None:
        raise NotFound("unit_not_found", unit_id=unit_id)
    return unit


def unit_tree(session: Session) -> list[UnitNode]:
    """Every unit as a forest, siblings sorted by name."""
    units = session.scalars(select(Unit).order_by(Unit.name)).all()
    nodes = {unit.id: UnitNode(unit) for unit in units}
    roots: list[UnitNode] = []
    for unit in units:
        parent = nodes.get(unit.parent_id) if unit.parent_id else None
        (parent.children if parent else roots).append(nodes[unit.id])
    return roots


def flatten(tree: list[UnitNode], depth: int = 0) -> list[tuple[int, Unit]]:
    """The tree in display order with each unit's depth."""
    rows: list[tuple[int, Unit]] = []
    for node in tree:
        rows.append((depth, node.unit))
        rows.extend(flatten(node.children, depth + 1))
    return rows


def unit_label(unit: Unit) -> str:
    """The unit's full path of names, like '大石桥市/司法局'."""
    names = []
    current: Unit | None = unit
    while current is not None:
        names.append(current.name)
        current = current.parent
    return "/".join(reversed(names))


def _check_name(session: Session, name: str, parent_id: int | None, exclude_id: int | None) -> str:
    name = name.strip()
    if not name:
        raise InvalidInput("unit_name_required")
    if "/" in name:
        raise InvalidInput("unit_name_slash")
    sibling = select(Unit.id).where(Unit.name == name)
    sibling = sibling.where(
        Unit.parent_id == parent_id if parent_id is not None else Unit.parent_id.is_(None)
    )
    if exclude_id is not None:
        sibling = sibling.where(Unit.id != exclude_id)
    if session.scalar(sibling) is not None:
        raise Conflict("unit_name_taken", name=name)
    return name


def _add(session: Session, name: str, parent: Unit | None) -> Unit:
    unit = Unit(name=name, parent=parent)
    session.add(unit)
    session.flush()  # the id is part of the path
    unit.path = f"{parent.path if parent else '/'}{unit.id}/"
    return unit


def create_unit(
    session: Session, actor_id: int | None, name: str, parent_id: int | None, ip: str = ""
) -> Unit:
    """Add a unit under `parent_id` (or as a root)."""
    parent = get_unit(session, parent_id) if parent_id else None
    unit = _add(session, _check_name(session, name, parent_id, None), parent)
    audit.record(
        session,
        actor_id,
        "unit.create",
        "unit",
        unit.id,
        ip=ip,
        name=unit.name,
        parent=parent.name if parent else None,
    )
    session.commit()
    return unit


def rename_unit(
    session: Session, actor_id: int | None, unit: Unit, name: str, ip: str = ""
) -> None:
    old = unit.name
    unit.name = _check_name(session, name, unit.parent_id, unit.id)
    if old != unit.name:
        audit.record(
            session, actor_id, "unit.rename", "unit", unit.id, ip=ip, old=old, new=unit.name
        )
    session.commit()


def move_unit(
    session: Session, actor_id: int | None, unit: Unit, new_parent_id: int | None, ip: str = ""
) -> None:
    """Put `unit` and its subtree under another parent; never under itself."""
    new_parent = get_unit(session, new_parent_id) if new_parent_id else None
    if new_parent is not None and new_parent.path.startswith(unit.path):
        raise InvalidInput("unit_move_into_itself", name=unit.name)
    _check_name(session, unit.name, new_parent_id, unit.id)
    old_parent = unit.parent.name if unit.parent else None
    old_path = unit.path
    new_path = f"{new_parent.path if new_parent else '/'}{unit.id}/"
    for descendant in session.scalars(select(Unit).where(Unit.path.startswith(old_path))):
        descendant.path = new_path + descendant.path[len(old_path) :]
    unit.parent = new_parent
    audit.record(
        session,
        actor_id,
        "unit.move",
        "unit",
        unit.id,
        ip=ip,
        old_parent=old_parent,
        new_parent=new_parent.name if new_parent else None,
    )
    session.commit()


def ensure_unit_path(session: Session, names: list[str]) -> tuple[Unit, list[Unit]]:
    """Find the unit at a path of names, creating missing ones; return it and those created.

    A single name that is not a root is looked up anywhere in the tree and must be unique.
    """
    created: list[Unit] = []
    if len(names) == 1:
        matches = session.scalars(select(Unit).where(Unit.name == names[0])).all()
        if len(matches) == 1:
            return matches[0], created
        if len(matches) > 1:
            raise Conflict("unit_name_ambiguous", name=names[0])
    parent: Unit | None = None
    for name in names:
        statement = select(Unit).where(Unit.name == name)
        statement = statement.where(
            Unit.parent_id == parent.id if parent else Unit.parent_id.is_(None)
        )
        unit = session.scalar(statement)
        if unit is None:
            unit = _add(session, name, parent)
            created.append(unit)
        parent = unit
    assert parent is not None
    return parent, created


def find_unit_by_label(session: Session, label: str) -> Unit:
    """The unit named by a path such as 大石桥市/司法局, or by a name unique in the tree."""
    from app.domain.people import split_unit_path

    names = split_unit_path(label)
    if not names:
        raise NotFound("unit_not_found", unit_id=label)
    if len(names) == 1:
        matches = session.scalars(select(Unit).where(Unit.name == names[0])).all()
        if len(matches) > 1:
            raise Conflict("unit_name_ambiguous", name=names[0])
        if not matches:
            raise NotFound("unit_label_not_found", label=label)
        return matches[0]
    parent: Unit | None = None
    for name in names:
        statement = select(Unit).where(Unit.name == name)
        statement = statement.where(
            Unit.parent_id == parent.id if parent else Unit.parent_id.is_(None)
        )
        unit = session.scalar(statement)
        if unit is None:
            raise NotFound("unit_label_not_found", label=label)
        parent = unit
    assert parent is not None
    return parent
