"""Reading the audit log with filters."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models import AuditEvent, User
from app.timeutil import local_midnight_as_utc


@dataclass(frozen=True)
class AuditFilter:
    actor: str = ""
    action: str = ""
    date_from: date | None = None
    date_to: date | None = None
    timezone: str = "Asia/Shanghai"  # dates are the reader's local days


def search_events(
    session: Session, criteria: AuditFilter, page: int = 1, per_page: int = 50
) -> tuple[list[AuditEvent], int]:
    """One page of events matching the filter, newest first, and the total count."""
    statement = select(AuditEvent).outerjoin(AuditEvent.actor)
    if criteria.actor:
        statement = statement.where(User.username == criteria.actor.strip())
    if criteria.action:
        statement = statement.where(AuditEvent.action == criteria.action.strip())
    if criteria.date_from:
        start = local_midnight_as_utc(criteria.date_from, criteria.timezone)
        statement = statement.where(AuditEvent.at >= start)
    if criteria.date_to:
        end = local_midnight_as_utc(criteria.date_to + timedelta(days=1), criteria.timezone)
        statement = statement.where(AuditEvent.at < end)
    total = session.scalar(select(func.count()).select_from(statement.subquery())) or 0
    events = session.scalars(
        statement.order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    return list(events), total


def known_actions(session: Session) -> list[str]:
    return list(session.scalars(select(AuditEvent.action).distinct().order_by(AuditEvent.action)))
