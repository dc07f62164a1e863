"""``Connection``: where and how to reach an outside system, as in Airflow.

The URI format is Airflow's: ``type://login:password@host:port/schema?extra_key=value``, every
part percent-encoded; a ``-`` in the type stands for ``_`` (``google-cloud`` →
``google_cloud``); a host that carries its own protocol is written after the type
(``http://https://api.example.com``); an extra that is not a flat string map travels as JSON
in the ``__extra__`` query parameter. A JSON object with the same field names works too
(``{"conn_type": "http", "host": "...", "extra": {...}}``), like Airflow 2.3+.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit

from scheduler.errors import InvalidConnectionError
from scheduler.masking import REDACTED, mask_secret, mask_sensitive_fields

EXTRA_KEY = "__extra__"
_FIELDS = ("conn_type", "description", "host", "login", "password", "schema", "port", "extra")


@dataclass
class Connection:
    """One connection. ``extra`` is a dict (``extra_dejson`` returns it, for Airflow code)."""

    conn_id: str
    conn_type: str = ""
    host: str | None = None
    port: int | None = None
    login: str | None = None
    password: str | None = None
    schema: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    description: str | None = None

    def __post_init__(self) -> None:
        if isinstance(self.extra, str):  # Airflow code passes extra as JSON text
            self.extra = _extra_from_text(self.conn_id, self.extra)
        self.extra = dict(self.extra or {})
        if self.port is not None:
            self.port = _port(self.conn_id, self.port)

    @property
    def extra_dejson(self) -> dict[str, Any]:
        """The extra as a dict (Airflow's name; here ``extra`` already is one)."""
        return dict(self.extra)

    def get_extra(self) -> str:
        """The extra as JSON text (Airflow's ``Connection.get_extra``)."""
        return json.dumps(self.extra)

    def mask_secrets(self) -> None:
        """Register the password and sensitive extra fields with the secrets masker."""
        if self.password:
            mask_secret(self.password)
        mask_sensitive_fields(self.extra)

    def redacted(self) -> dict[str, Any]:
        """The fields for display: password and sensitive extra values replaced by ``***``."""
        data = asdict(self)
        data["password"] = REDACTED if self.password else None
        # Keys stay visible (which options are set), values never: an extra is where
        # tokens and keys hide under names no list of sensitive words can foresee.
        data["extra"] = {k: REDACTED for k in self.extra}
        return data

    def to_dict(self) -> dict[str, Any]:
        """Every field, secrets included: for storage and the JSON form of ``BATON_CONN_*``."""
        return asdict(self)

    @classmethod
    def from_uri(cls, conn_id: str, uri: str) -> Connection:
        """Parse an Airflow connection URI; ``InvalidConnectionError`` says what is wrong."""
        return _parse_uri(conn_id, uri.strip())

    @classmethod
    def from_json(cls, conn_id: str, text: str | dict[str, Any]) -> Connection:
        """A connection from a JSON object with the field names of this class."""
        data = text if isinstance(text, dict) else _json_object(conn_id, text)
        unknown = sorted(set(data) - set(_FIELDS) - {"conn_id"})
        if unknown:
            raise InvalidConnectionError(
                f"connection '{conn_id}': unknown field(s) {', '.join(unknown)} in its JSON; "
                f"use {', '.join(_FIELDS)}"
            )
        data.pop("conn_id", None)
        return cls(conn_id=conn_id, **data)

    def get_uri(self) -> str:
        """The Airflow URI of this connection (``from_uri`` reads it back unchanged)."""
        uri = f"{self.conn_type.lower().replace('_', '-')}://" if self.conn_type else "//"
        host = self.host or ""
        if "://" in host:
            protocol, host = host.split("://", 1)
            uri += f"{protocol}://"
        auth = quote(self.login, safe="") if self.login is not None else ""
        if self.password is not None:
            auth += ":" + quote(self.password, safe="")
        uri += f"{auth}@" if auth else ""
        uri += quote(host, safe="")
        if self.port:
            uri += f"@:{self.port}" if not host and not auth else f":{self.port}"
        if self.schema:
            uri += f"/{quote(self.schema, safe='')}"
        if self.extra:
            uri += ("?" if self.schema else "/?") + _extra_query(self.extra)
        return uri

    def __repr__(self) -> str:  # never print the password, even by accident
        return (
            f"Connection(conn_id={self.conn_id!r}, conn_type={self.conn_type!r}, "
            f"host={self.host!r})"
        )


def _parse_uri(conn_id: str, uri: str) -> Connection:
    schemes = uri.count("://")
    if schemes == 0 or schemes > 2:
        raise InvalidConnectionError(
            f"connection '{conn_id}': {_safe(uri)!r} is not a connection URI; write it as "
            "type://login:password@host:port/schema?key=value (percent-encode special characters)"
        )
    conn_type, rest = uri.split("://", 1)
    protocol = None
    if schemes == 2:
        protocol, rest = rest.split("://", 1)
        if "@" in protocol or ":" in protocol:
            raise InvalidConnectionError(
                f"connection '{conn_id}': cannot tell the host's protocol in {_safe(uri)!r}; "
                "write it as type://protocol://login:password@host"
            )
    parts = urlsplit(f"//{rest}")
    try:
        port = parts.port
    except ValueError:
        raise InvalidConnectionError(
            f"connection '{conn_id}': the port in {_safe(uri)!r} is not a number from 0 to 65535"
        ) from None
    host = unquote(parts.hostname or "") if parts.hostname else ""
    return Connection(
        conn_id=conn_id,
        conn_type=_normalize_type(conn_type),
        host=(f"{protocol}://{host}" if protocol else host) or None,
        port=port,
        login=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        schema=unquote(parts.path[1:]) or None,
        extra=_extra_from_query(conn_id, parts.query),
    )


def _normalize_type(conn_type: str) -> str:
    if conn_type == "postgresql":  # SQLAlchemy's spelling, Airflow's conn_type
        return "postgres"
    return conn_type.replace("-", "_")


def _extra_from_query(conn_id: str, query: str) -> dict[str, Any]:
    if not query:
        return {}
    pairs = dict(parse_qsl(query, keep_blank_values=True))
    if EXTRA_KEY in pairs:
        return _extra_from_text(conn_id, pairs[EXTRA_KEY])
    return pairs


def _extra_query(extra: dict[str, Any]) -> str:
    flat = all(isinstance(v, str) for v in extra.values())
    if flat:
        return urlencode(extra)
    return urlencode({EXTRA_KEY: json.dumps(extra)})


def _extra_from_text(conn_id: str, text: str) -> dict[str, Any]:
    if not text.strip():
        return {}
    return _json_object(conn_id, text, what="extra")


def _json_object(conn_id: str, text: str, what: str = "JSON") -> dict[str, Any]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidConnectionError(
            f"connection '{conn_id}': its {what} is not valid JSON ({exc.msg} at character "
            f"{exc.pos}); give a JSON object such as '{{\"timeout\": 10}}'"
        ) from None
    if not isinstance(data, dict):
        raise InvalidConnectionError(
            f"connection '{conn_id}': its {what} must be a JSON object, not {type(data).__name__}"
        )
    return data


def _port(conn_id: str, value: Any) -> int:
    try:
        port = int(value)
    except (TypeError, ValueError):
        port = -1
    if not 0 <= port <= 65535:
        raise InvalidConnectionError(
            f"connection '{conn_id}': port {value!r} is not a number from 0 to 65535"
        )
    return port


def _safe(uri: str) -> str:
    """The URI with its password hidden, for error messages."""
    head, at, tail = uri.rpartition("@")
    if not at or ":" not in head.split("://")[-1]:
        return uri
    user = head.rsplit(":", 1)[0]
    return f"{user}:{REDACTED}@{tail}"
