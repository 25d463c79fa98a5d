"""Counts for the landing pages."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models import AuditEvent, Cadre, Unit, User, UserRole


def roster_counts(session: Session) -> dict[str, object]:
    """Cadres in total, by category, and units in the tree."""
    by_category = dict(
        session.execute(select(Cadre.category, func.count()).group_by(Cadre.category)).all()
    )
    return {
        "cadres": sum(by_category.values()),
        "by_category": by_category,
        "units": session.scalar(select(func.count()).select_from(Unit)) or 0,
        "accounts": session.scalar(select(func.count(User.cadre_id))) or 0,
    }


def account_counts(session: Session) -> dict[str, object]:
    """Accounts by role, and how many are inactive or awaiting a password change."""
    by_role = dict(
        session.execute(select(UserRole.role, func.count()).group_by(UserRole.role)).all()
    )
    return {
        "total": session.scalar(select(func.count()).select_from(User)) or 0,
        "by_role": by_role,
        "inactive": session.scalar(select(func.count()).where(User.active.is_(False))) or 0,
        "must_change": session.scalar(
            select(func.count()).where(User.must_change_password.is_(True))
        )
        or 0,
    }


def recent_events(session: Session, action_prefix: str = "", limit: int = 10) -> list[AuditEvent]:
    statement = select(AuditEvent).order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    if action_prefix:
        statement = statement.where(AuditEvent.action.startswith(action_prefix))
    return list(session.scalars(statement.limit(limit)))
