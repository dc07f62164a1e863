"""Login throttling that slows a password guesser without locking the real user out.

Following OWASP's Authentication Cheat Sheet and its "device cookies" scheme, instead of a
lockout anyone can trigger (five wrong passwords for ``admin`` would otherwise keep the
admin out):

- **per source** (client address): the first ``source_free`` failures in the window cost
  nothing (typos); after that each attempt must wait ``source_delay`` since the last
  failure, doubling up to ``source_max_delay``. A guesser on one address gets a few dozen
  tries per window; other addresses are not affected.
- **per account**: after ``account_limit`` failures in the window, logins to that account
  from *untrusted* clients are refused until the window ends. Unknown user names are
  counted the same way, so a refusal tells nothing about which accounts exist.
- **trusted devices**: a browser where the user logged in before carries a signed device
  cookie naming that user (``webui/auth/device.py``). With it, neither limit applies: the
  real user still gets in during an attack. Its own failures are counted too, and after
  ``device_limit`` of them the cookie is no longer trusted (a stolen laptop is not a free
  pass for guessing).

The decision (``wait_for``) is a pure function of the counters; the rest reads and writes
them in the caller's transaction.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from scheduler.store.models_login import LoginFailureRow

SOURCE, ACCOUNT, DEVICE = "source", "account", "device"


@dataclass(frozen=True)
class ThrottlePolicy:
    window: timedelta = timedelta(minutes=15)
    source_free: int = 5
    source_delay: timedelta = timedelta(seconds=1)
    source_max_delay: timedelta = timedelta(seconds=60)
    account_limit: int = 5
    device_limit: int = 5


DEFAULT_POLICY = ThrottlePolicy()


@dataclass(frozen=True)
class Attempt:
    """Who is trying: the keys (digests) its failures are counted under."""

    account: str
    source: str | None = None
    device: str | None = None  # the nonce of a device cookie naming this account

    @classmethod
    def of(cls, username: str, source: str | None, device: str | None) -> Attempt:
        return cls(
            digest(username.strip().lower()),
            digest(source) if source else None,
            digest(device) if device else None,
        )


@dataclass(frozen=True)
class Counter:
    failures: int
    first_at: datetime
    last_at: datetime


def digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def wait_for(
    counters: dict[str, Counter],
    now: datetime,
    *,
    has_device: bool = False,
    policy: ThrottlePolicy = DEFAULT_POLICY,
) -> float:
    """Seconds the attempt must wait before its password is even checked (0: go ahead).
    ``counters`` holds the attempt's live counters by scope (expired ones left out);
    ``has_device``: it came with a valid device cookie for this account."""
    if has_device:
        device = counters.get(DEVICE)
        if device is None or device.failures < policy.device_limit:
            return 0.0  # a trusted device: the user who logged in here before
    waits = [0.0]
    source = counters.get(SOURCE)
    if source is not None and source.failures >= policy.source_free:
        doublings = min(source.failures - policy.source_free, 16)
        delay = min(policy.source_delay * 2**doublings, policy.source_max_delay)
        waits.append((source.last_at + delay - now).total_seconds())
    account = counters.get(ACCOUNT)
    if account is not None and account.failures >= policy.account_limit:
        waits.append((account.first_at + policy.window - now).total_seconds())
    return max(waits)


def load(
    session: Session, attempt: Attempt, now: datetime, policy: ThrottlePolicy = DEFAULT_POLICY
) -> dict[str, Counter]:
    """The attempt's counters whose window has not ended, by scope."""
    found: dict[str, Counter] = {}
    for scope, key in _keys(attempt):
        row = _row(session, scope, key)
        if row is not None and row.first_at + policy.window > now:
            found[scope] = Counter(row.failures, row.first_at, row.last_at)
    return found


def record_failure(
    session: Session, attempt: Attempt, now: datetime, policy: ThrottlePolicy = DEFAULT_POLICY
) -> None:
    """Count a wrong password against the source, the account and the device."""
    for scope, key in _keys(attempt):
        row = _row(session, scope, key)
        if row is None:
            row = LoginFailureRow(scope=scope, key=key, failures=1, first_at=now, last_at=now)
            session.add(row)
        elif row.first_at + policy.window <= now:  # a new window
            row.failures, row.first_at, row.last_at = 1, now, now
        else:
            row.failures, row.last_at = row.failures + 1, now


def forget_device(session: Session, attempt: Attempt) -> None:
    """The device logged in: its earlier failures no longer count against it."""
    if attempt.device is not None:
        row = _row(session, DEVICE, attempt.device)
        if row is not None:
            session.delete(row)


def _keys(attempt: Attempt) -> list[tuple[str, str]]:
    keys = [(ACCOUNT, attempt.account)]
    if attempt.source is not None:
        keys.append((SOURCE, attempt.source))
    if attempt.device is not None:
        keys.append((DEVICE, attempt.device))
    return keys


def _row(session: Session, scope: str, key: str) -> LoginFailureRow | None:
    row = LoginFailureRow
    query = select(row).where(col(row.scope) == scope, col(row.key) == key)
    return session.scalar(query)
