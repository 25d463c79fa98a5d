"""Recording audit events inside the caller's transaction."""

from __future__ import annotations

from sqlalchemy.orm import Session

from app.models import AuditEvent


def record(
    session: Session,
    actor_id: int | None,
    action: str,
    object_type: str = "",
    object_id: object = "",
    ip: str = "",
    **detail: object,
) -> AuditEvent:
    """Add an audit event; it is committed with the change it describes."""
    event = AuditEvent(
        actor_id=actor_id,
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        ip=ip,
        detail=detail,
    )
    session.add(event)
    return event
