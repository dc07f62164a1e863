"""The clock every part reads: timezone-aware UTC, so stored and compared times never mix
naive and aware values. On the ground floor (imports nothing of Baton) so the Store, the
Engine, the API and the CLI share one definition."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    """Now, in UTC, timezone-aware."""
    return datetime.now(UTC)
