"""Holding an upload between its preview and its confirmation."""

from __future__ import annotations

import secrets
from datetime import timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app.models import PendingUpload
from app.services.errors import NotFound
from app.timeutil import utcnow

UPLOAD_LIFETIME = timedelta(hours=24)


def hold(session: Session, owner_id: int, purpose: str, filename: str, content: bytes) -> str:
    """Keep an upload for later confirmation; return its token."""
    expired = PendingUpload.created_at < utcnow() - UPLOAD_LIFETIME
    session.execute(delete(PendingUpload).where(expired))
    token = secrets.token_urlsafe(24)
    session.add(
        PendingUpload(
            token=token, owner_id=owner_id, purpose=purpose, filename=filename, content=content
        )
    )
    session.commit()
    return token


def fetch(session: Session, owner_id: int, purpose: str, token: str) -> PendingUpload:
    """The owner's unexpired upload for `purpose`; NotFound otherwise."""
    upload = session.scalar(
        select(PendingUpload).where(
            PendingUpload.token == token,
            PendingUpload.owner_id == owner_id,
            PendingUpload.purpose == purpose,
            PendingUpload.created_at >= utcnow() - UPLOAD_LIFETIME,
        )
    )
    if upload is None:
        raise NotFound("upload_not_found")
    return upload


def take_handout(session: Session, upload: PendingUpload) -> bytes:
    """Return the upload's handout once and forget the upload."""
    if upload.handout is None:
        raise NotFound("upload_not_found")
    handout = upload.handout
    session.delete(upload)
    session.commit()
    return handout
