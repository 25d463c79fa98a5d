"""Time in one place: the app stores naive UTC datetimes and shows local time."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo


def utcnow() -> datetime:
    """The current time as a naive UTC datetime, the form every column stores."""
    return datetime.now(UTC).replace(tzinfo=None)


def local_midnight_as_utc(day: date, timezone: str) -> datetime:
    """The naive UTC instant at which `day` begins in `timezone`."""
    local = datetime.combine(day, time(), tzinfo=ZoneInfo(timezone))
    return local.astimezone(UTC).replace(tzinfo=None)


def to_local(moment: datetime, timezone: str) -> datetime:
    """A stored naive UTC datetime as an aware datetime in `timezone`."""
    return moment.replace(tzinfo=UTC).astimezone(ZoneInfo(timezone))


def parse_when(text: str, timezone: str) -> datetime:
    """An ISO date-time as naive UTC; without an offset it is read in `timezone`."""
    moment = datetime.fromisoformat(text.strip())
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(timezone))
    return moment.astimezone(UTC).replace(tzinfo=None)


def utc_iso(moment: datetime) -> str:
    """A stored naive UTC datetime as ISO 8601 with its +00:00 offset (the API's form)."""
    return moment.replace(tzinfo=UTC).isoformat()
