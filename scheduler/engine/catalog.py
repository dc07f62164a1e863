"""The DAGs the Engine knows: their specs, pause flags and when each is next due.

Fed by the Loader's messages (which it also writes to the Store) and refreshed from the
Store when a user pauses, unpauses or syncs DAGs from the CLI.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from scheduler.spec import DagSpec
from scheduler.store import dags as dag_store
from scheduler.store.models import DagRow, dag_table
from scheduler.timetables import DataInterval, RunInfo, timetable_for, upcoming_run_info


@dataclass
class DagEntry:
    spec: DagSpec
    is_paused: bool
    last_interval: DataInterval | None
    parsed_at: datetime | None
    upcoming: RunInfo | None = None
    upcoming_known: bool = False

    def refresh_upcoming(self, now: datetime) -> RunInfo | None:
        """The next automated run (cached until a run is created or the spec changes)."""
        if not self.upcoming_known:
            spec = self.spec
            self.upcoming = upcoming_run_info(
                timetable_for(spec.schedule, spec.timezone),
                last_interval=self.last_interval,
                now=now,
                start_date=spec.start_date,
                end_date=spec.end_date,
                catchup=spec.catchup,
            )
            self.upcoming_known = True
        return self.upcoming


class DagCatalog:
    def __init__(self) -> None:
        self.entries: dict[str, DagEntry] = {}
        # Paused DAG ids and the earliest due run, derived from the entries and kept until
        # they change: the loop asks on every iteration, a scan of 500 DAGs each time adds up.
        self._summary: tuple[frozenset[str], datetime | None] | None = None
        # The DAGs this scheduler drives (None: all): only their due runs wake it up.
        self._owned: frozenset[str] | None = None

    def drives(self, dag_id: str) -> bool:
        """Whether this scheduler drives ``dag_id`` (creates and runs its runs)."""
        return self._owned is None or dag_id in self._owned

    def only(self, dag_ids: Iterable[str]) -> None:
        """Consider only ``dag_ids`` for due runs (the others are another scheduler's)."""
        owned = frozenset(dag_ids)
        if owned != self._owned:
            self._owned = owned
            self.invalidate()

    def invalidate(self) -> None:
        """Forget the derived summary: an entry, a pause flag or a due time changed."""
        self._summary = None

    def paused(self) -> frozenset[str]:
        return self._summarize()[0]

    def next_due(self, now: datetime) -> datetime | None:
        """When the earliest automated run of an unpaused DAG is due (maybe already)."""
        return self._summarize(now)[1]

    def _summarize(self, now: datetime | None = None) -> tuple[frozenset[str], datetime | None]:
        if self._summary is None:
            when = now or datetime.now(UTC)
            paused = frozenset(d for d, e in self.entries.items() if e.is_paused)
            owned = self._owned
            due = [
                info.run_after
                for dag_id, entry in self.entries.items()
                if dag_id not in paused
                and (owned is None or dag_id in owned)
                and (info := entry.refresh_upcoming(when)) is not None
            ]
            self._summary = (paused, min(due, default=None))
        return self._summary

    @property
    def specs(self) -> dict[str, DagSpec]:
        return {dag_id: entry.spec for dag_id, entry in self.entries.items()}

    def load(self, session: Session) -> None:
        """(Re)read every active DAG from the Store."""
        self.entries = {row.dag_id: _entry(row) for row in dag_store.list_dags(session)}
        self.invalidate()

    def reload(self, session: Session, dag_ids: Iterable[str]) -> None:
        """Re-read the scheduling state of these DAGs from the Store (taken over from another
        scheduler: the intervals it scheduled are in their rows, not in this catalog). One
        query for all of them; a spec is read again only if a newer parse stored one."""
        known = [dag_id for dag_id in dag_ids if dag_id in self.entries]
        if not known:
            return
        rows = session.execute(
            select(
                dag_table.c.dag_id,
                dag_table.c.is_paused,
                dag_table.c.last_scheduled_start,
                dag_table.c.last_scheduled_end,
                dag_table.c.last_parsed_at,
            ).where(dag_table.c.dag_id.in_(known))
        ).all()
        for dag_id, is_paused, start, end, parsed_at in rows:
            entry = self.entries[dag_id]
            if parsed_at and entry.parsed_at and parsed_at > entry.parsed_at:
                self.entries[dag_id] = _entry(dag_store.get_dag(session, dag_id))
                continue
            entry.is_paused = is_paused
            entry.last_interval = _interval(start, end)
            entry.upcoming_known = False
        self.invalidate()

    def refresh_flags(self, session: Session) -> None:
        """Pick up pause flags and DAGs written by others (CLI) without reloading specs."""
        rows = session.execute(
            select(
                dag_table.c.dag_id,
                dag_table.c.is_paused,
                dag_table.c.is_active,
                dag_table.c.last_parsed_at,
            )
        ).all()
        unknown = []
        for dag_id, is_paused, is_active, parsed_at in rows:
            entry = self.entries.get(dag_id)
            if not is_active:
                self.entries.pop(dag_id, None)
            elif entry is None or (parsed_at and entry.parsed_at and parsed_at > entry.parsed_at):
                unknown.append(dag_id)
            else:
                entry.is_paused = is_paused
        for dag_id in unknown:
            self.entries[dag_id] = _entry(dag_store.get_dag(session, dag_id))
        self.invalidate()

    def update_specs(self, specs: Iterable[DagSpec], now: datetime, default_paused: bool) -> None:
        for spec in specs:
            entry = self.entries.get(spec.dag_id)
            if entry is None:
                paused = spec.is_paused_upon_creation
                self.entries[spec.dag_id] = DagEntry(
                    spec, default_paused if paused is None else paused, None, now
                )
            else:
                entry.spec, entry.parsed_at, entry.upcoming_known = spec, now, False
        self.invalidate()

    def drop(self, dag_ids: Iterable[str]) -> None:
        for dag_id in dag_ids:
            self.entries.pop(dag_id, None)
        self.invalidate()


def _entry(row: DagRow) -> DagEntry:
    last = _interval(row.last_scheduled_start, row.last_scheduled_end)
    return DagEntry(DagSpec.from_dict(row.spec), row.is_paused, last, row.last_parsed_at)


def _interval(start: datetime | None, end: datetime | None) -> DataInterval | None:
    """The last interval a DAG's timetable scheduled, as its row stores it."""
    return DataInterval(start, end) if start is not None and end is not None else None
