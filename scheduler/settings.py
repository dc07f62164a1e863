"""Baton's settings: one typed object, read from ``BATON_*`` variables and ``baton.toml``.

Precedence: environment variable > ``$BATON_HOME/baton.toml`` (keys as below, top level or
under ``[baton]``) > default. Every option is documented where it is defined.
"""

from __future__ import annotations

import contextlib
import os
import tomllib
from dataclasses import dataclass, fields
from datetime import UTC, tzinfo
from functools import lru_cache
from pathlib import Path
from typing import Any, get_type_hints
from zoneinfo import ZoneInfo

from scheduler.errors import ConfigError

_SECRET_WORDS = ("password", "secret", "token", "key")


def _default_dags_folder(home: Path) -> Path:
    # Run from a checkout of Baton (or any project with a dags/ folder): use ./dags.
    local = Path.cwd() / "dags"
    return local if local.is_dir() else home / "dags"


@dataclass(frozen=True)
class Settings:
    home: Path
    """BATON_HOME: where the database, logs and generated keys live (default ~/baton)."""
    dags_folder: Path
    """BATON_DAGS_FOLDER: scanned recursively for DAG files (default ./dags if present)."""
    database_url: str
    """BATON_DATABASE_URL: SQLAlchemy URL (default sqlite:///$BATON_HOME/baton.db)."""
    executor: str = "local"
    """BATON_EXECUTOR: ``local`` (worker processes), ``celery`` (``baton celery worker``
    processes on any machine, through a broker) or ``inline`` (sequential, in-process)."""
    celery_broker_url: str = ""
    """BATON_CELERY_BROKER_URL: the Celery broker of ``BATON_EXECUTOR=celery`` and of
    ``baton celery worker``: ``redis://host:6379/0`` or ``amqp://user:pw@host:5672//``."""
    celery_result_backend: str = ""
    """BATON_CELERY_RESULT_BACKEND: optional Celery result backend (e.g. ``redis://...``)
    keeping each try's outcome for Celery's own tools (Flower, ``AsyncResult``); Baton
    itself does not need it (outcomes reach the scheduler through the broker)."""
    parallelism: int = os.cpu_count() or 2
    """BATON_PARALLELISM: tasks running at once across all DAGs (local executor workers)."""
    max_map_length: int = 1024
    """BATON_MAX_MAP_LENGTH: the most instances one mapped task may expand into (Airflow's
    ``[core] max_map_length``); a longer input fails the task with a message naming it."""
    dags_are_paused_at_creation: bool = True
    """BATON_DAGS_ARE_PAUSED_AT_CREATION: new DAGs start paused (scheduled runs wait)."""
    dag_file_import_timeout: float = 30.0
    """BATON_DAG_FILE_IMPORT_TIMEOUT: seconds a DAG file may take to import before it is
    stopped and reported as an import error."""
    dag_dir_list_interval: float = 2.0
    """BATON_DAG_DIR_LIST_INTERVAL: seconds between scans of the DAG folder for changes."""
    triggerer_capacity: int = 1000
    """BATON_TRIGGERER_CAPACITY: triggers one ``baton triggerer`` runs at most (Airflow's
    ``[triggerer] capacity``); more are left for other triggerers."""
    triggerer_heartbeat_sec: float = 1.0
    """BATON_TRIGGERER_HEARTBEAT_SEC: how often a triggerer heartbeats and looks for new
    triggers (a new deferral is picked up within this)."""
    triggerer_health_threshold: float = 10.0
    """BATON_TRIGGERER_HEALTH_THRESHOLD: a triggerer whose heartbeat is older than this is
    gone: another triggerer (or its restart) claims its triggers."""
    scheduler_heartbeat_sec: float = 2.0
    """BATON_SCHEDULER_HEARTBEAT_SEC: how often the scheduler records that it is alive."""
    scheduler_health_threshold: float = 10.0
    """BATON_SCHEDULER_HEALTH_THRESHOLD: a scheduler whose heartbeat is older than this is
    gone: the live schedulers take over its DAGs, runs and tries at once."""
    task_instance_heartbeat_timeout: float = 10.0
    """BATON_TASK_INSTANCE_HEARTBEAT_TIMEOUT: a Celery worker heartbeats each try it runs
    every 2 s; a try whose heartbeat is older than this lost its worker (Airflow's
    ``[scheduler] task_instance_heartbeat_timeout``) and is re-run at once elsewhere."""
    lost_try_limit: int = 3
    """BATON_LOST_TRY_LIMIT: how many times one task instance is re-run because its try was
    lost to the infrastructure (a killed worker or scheduler) before it fails; these
    re-runs start at once and do not use up the task's own ``retries``."""
    db_outage_limit: float = 300.0
    """BATON_DB_OUTAGE_LIMIT: seconds the scheduler keeps going without its database
    (results held in memory, written when it is back) before it exits."""
    max_conf_depth: int = 64
    """BATON_MAX_CONF_DEPTH: how deeply a run's conf may nest objects and arrays (1 to 200);
    a deeper one is refused (HTTP 400) before anything is stored, from every way of
    triggering."""
    max_conf_size: int = 65536
    """BATON_MAX_CONF_SIZE: the most bytes of JSON a run's conf may hold (default 64 KiB)."""
    worker_memory_limit_mb: int = 0
    """BATON_WORKER_MEMORY_LIMIT_MB: address-space limit of each worker process; a task that
    allocates past it fails with MemoryError instead of starving the machine (0: no limit)."""
    worker_recycle_rss_mb: int = 1024
    """BATON_WORKER_RECYCLE_RSS_MB: a worker whose memory grew past this after a task is
    replaced by a fresh one, so a leaking task cannot bloat later ones (0: never)."""
    log_level: str = "INFO"
    """BATON_LOG_LEVEL: level of the scheduler's own log."""
    default_timezone: str = "utc"
    """BATON_DEFAULT_TIMEZONE: the zone of naive datetimes in DAG files (a ``start_date``
    without tzinfo) and of DAGs without a start_date, as Airflow's ``[core]
    default_timezone``: ``utc``, ``system`` (this machine's zone) or an IANA name such as
    ``Europe/Amsterdam``."""
    fernet_key: str = ""
    """BATON_FERNET_KEY: key(s) encrypting connection passwords/extras and variables at rest,
    comma-separated, newest first (``new,old`` while rotating); empty: a key generated into
    ``$BATON_HOME/fernet.key`` on first use."""
    plugins_folder: str = ""
    """BATON_PLUGINS_FOLDER: modules and packages loaded as plugins (empty: ``./plugins`` if
    it exists, else ``$BATON_HOME/plugins``)."""
    webui_behind_proxy: bool = False
    """BATON_WEBUI_BEHIND_PROXY: the web UI runs behind one reverse proxy whose
    X-Forwarded-For/-Proto/-Host headers are trusted (session cookies become Secure when the
    proxy received HTTPS). Leave off when browsers reach the web UI directly."""
    webui_bind: str = "127.0.0.1:8080"
    """BATON_WEBUI_BIND: HOST:PORT the web UI listens on (``baton webui``, ``baton
    standalone``, ``make run``; their ``--bind`` overrides it). ``0.0.0.0:8080`` serves
    every interface: put it behind a proxy with TLS."""
    webui_base_url: str = ""
    """BATON_WEBUI_BASE_URL: the web UI's address as users reach it (e.g.
    ``https://baton.example.com``), for the links notifications carry; empty:
    ``http://`` + BATON_WEBUI_BIND."""
    retention_days: int = 0
    """BATON_RETENTION_DAYS: the scheduler deletes finished runs (with their tries, XComs,
    log files) and events older than this many days, once a day, in short batches
    (``baton db clean`` without archive; docs/operations.md). 0: keep everything."""

    @property
    def logs_folder(self) -> Path:
        return self.home / "logs"

    @property
    def webui_url(self) -> str:
        """BATON_WEBUI_BASE_URL, else ``http://`` + BATON_WEBUI_BIND, without a trailing /."""
        return (self.webui_base_url or f"http://{self.webui_bind}").rstrip("/")

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        """Read the effective settings; raise ``ConfigError`` naming a bad value."""
        env = dict(os.environ if env is None else env)
        home = Path(env.get("BATON_HOME", "~/baton")).expanduser().resolve()
        values = {**_read_toml(home / "baton.toml"), **_read_env(env)}
        values.setdefault("dags_folder", str(_default_dags_folder(home)))
        values.setdefault("database_url", f"sqlite:///{home / 'baton.db'}")
        values["home"] = str(home)
        return cls(**_convert(values))

    def as_dict(self, mask_secrets: bool = True) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            value = str(value) if isinstance(value, Path) else value
            if mask_secrets and isinstance(value, str):
                is_url = f.name.endswith("_url") or f.name == "celery_result_backend"
                value = mask_url_password(value) if is_url else value
                if any(word in f.name for word in _SECRET_WORDS):
                    value = "***"
            out[f.name] = value
        return out


def default_timezone() -> tzinfo:
    """This process's ``BATON_DEFAULT_TIMEZONE`` as a zone (cached per setting)."""
    return _default_zone(os.environ.get("BATON_DEFAULT_TIMEZONE"), os.environ.get("BATON_HOME"))


@lru_cache(maxsize=8)
def _default_zone(_variable: str | None, _home: str | None) -> tzinfo:
    # Keyed by what it is read from (the variable, or baton.toml in the home), not read
    # again for every DAG a file declares.
    return zone_named(Settings.from_env().default_timezone)


def zone_named(name: str) -> tzinfo:
    """The zone ``utc``, ``system`` or an IANA name stands for; ``ConfigError`` if none."""
    if name.strip().lower() == "utc":
        return UTC
    if name.strip().lower() == "system":
        return _system_zone()
    try:
        return ZoneInfo(name.strip())
    except (ValueError, KeyError, OSError):
        raise ConfigError(
            f"BATON_DEFAULT_TIMEZONE={name!r} is no time zone; use 'utc', 'system' or an "
            "IANA name such as 'Europe/Amsterdam'"
        ) from None


def _system_zone() -> tzinfo:
    """This machine's zone by its IANA name (``TZ``, else where /etc/localtime points)."""
    candidates = [os.environ.get("TZ", "").lstrip(":")]
    localtime = os.path.realpath("/etc/localtime")
    if "zoneinfo/" in localtime:
        candidates.append(localtime.split("zoneinfo/", 1)[1])
    for candidate in filter(None, candidates):
        with contextlib.suppress(ValueError, KeyError, OSError):
            return ZoneInfo(candidate)
    raise ConfigError(
        "BATON_DEFAULT_TIMEZONE=system, but this machine's zone has no IANA name (no TZ, "
        "/etc/localtime is no zoneinfo link); set an IANA name such as 'Europe/Amsterdam'"
    )


def mask_url_password(url: str) -> str:
    """``postgresql://u:pw@h/db`` → ``postgresql://u:***@h/db``."""
    scheme, sep, rest = url.partition("://")
    if not sep or "@" not in rest:
        return url
    creds, at, host = rest.rpartition("@")
    if ":" not in creds:
        return url
    user = creds.split(":", 1)[0]
    return f"{scheme}://{user}:***{at}{host}"


def _read_toml(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    try:
        data = tomllib.loads(path.read_text())
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read it ({exc}); fix the TOML syntax") from exc
    data = data.get("baton", data)
    known = {f.name for f in fields(Settings)}
    unknown = sorted(set(data) - known)
    if unknown:
        raise ConfigError(
            f"{path}: unknown setting(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}"
        )
    return data


def _read_env(env: dict[str, str]) -> dict[str, Any]:
    out = {}
    for f in fields(Settings):
        name = f"BATON_{f.name.upper()}"
        if name in env and f.name != "home":
            out[f.name] = env[name]
    return out


def _convert(values: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    # The fields' types, not the strings of their annotations (dataclasses.Field.type is
    # what the annotation says, a str under `from __future__ import annotations`).
    types = get_type_hints(Settings)
    for name, raw in values.items():
        kind = types[name]
        try:
            out[name] = _coerce(kind, raw)
        except ValueError:
            raise ConfigError(
                f"BATON_{name.upper()}={raw!r} is not a valid {kind.__name__}; "
                "set it to a value of that type or unset it"
            ) from None
    if out.get("parallelism", 1) < 1:
        raise ConfigError("BATON_PARALLELISM must be at least 1")
    if out.get("max_map_length", 1) < 1:
        raise ConfigError("BATON_MAX_MAP_LENGTH must be at least 1")
    # Much deeper values hit Python's recursion limit wherever they are walked.
    if not 1 <= out.get("max_conf_depth", 1) <= 200:
        raise ConfigError("BATON_MAX_CONF_DEPTH must be between 1 and 200")
    if out.get("max_conf_size", 1) < 1:
        raise ConfigError("BATON_MAX_CONF_SIZE must be at least 1 (bytes)")
    if "webui_bind" in out:
        check_bind(out["webui_bind"], "BATON_WEBUI_BIND")
    if "default_timezone" in out:
        zone_named(out["default_timezone"])  # a ConfigError naming the value
    if out.get("executor", "local") not in {"local", "inline", "celery"}:
        raise ConfigError(
            f"BATON_EXECUTOR={out['executor']!r} is unknown; use 'local', 'celery' or 'inline'"
        )
    return out


def check_bind(bind: str, name: str) -> str:
    """``bind`` if it is HOST:PORT (``[::1]:8080`` for IPv6); ``ConfigError`` naming it if not."""
    host, sep, port = bind.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ConfigError(
            f"{name}={bind!r} is not HOST:PORT; write e.g. 127.0.0.1:8080, or 0.0.0.0:8080 "
            "for every interface"
        )
    return bind


def _coerce(kind: type, raw: Any) -> Any:
    if kind is Path:
        return Path(str(raw)).expanduser().resolve()
    if kind is bool:
        if isinstance(raw, bool):
            return raw
        lowered = str(raw).strip().lower()
        if lowered in {"1", "true", "yes", "on"}:
            return True
        if lowered in {"0", "false", "no", "off"}:
            return False
        raise ValueError(raw)
    if kind is int:
        return int(raw)
    if kind is float:
        return float(raw)
    return str(raw)
