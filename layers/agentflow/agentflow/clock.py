"""Time as the API writes it: ISO-8601 UTC with a Z. Kept free of heavy imports."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    return datetime.now(UTC)


def isoformat(moment: datetime) -> str:
    """ISO-8601 UTC with milliseconds and a Z, the API's timestamp format."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
