"""Connection URIs and JSON in Airflow's format: parsing, percent-decoding, round trips."""

from __future__ import annotations

import pytest

from scheduler import Connection
from scheduler.errors import InvalidConnectionError


def test_every_part_of_a_uri_is_parsed_and_percent_decoded() -> None:
    conn = Connection.from_uri(
        "db", "postgres://us%40er:p%40ss%2Fw%3Ard@db.example.com:5433/my%20db?sslmode=require"
    )
    assert (conn.conn_type, conn.host, conn.port) == ("postgres", "db.example.com", 5433)
    assert (conn.login, conn.password, conn.schema) == ("us@er", "p@ss/w:rd", "my db")
    assert conn.extra == {"sslmode": "require"}
    assert conn.extra_dejson == {"sslmode": "require"}


@pytest.mark.parametrize(
    ("uri", "conn_type"),
    [("postgresql://h", "postgres"), ("google-cloud-platform://h", "google_cloud_platform")],
)
def test_conn_types_are_normalised_like_airflow(uri: str, conn_type: str) -> None:
    assert Connection.from_uri("c", uri).conn_type == conn_type


def test_a_host_with_its_own_protocol() -> None:
    conn = Connection.from_uri("api", "http://https://bob:pw@api.example.com:8443/v1")
    assert conn.conn_type == "http"
    assert conn.host == "https://api.example.com"
    assert (conn.login, conn.password, conn.port, conn.schema) == ("bob", "pw", 8443, "v1")


def test_a_nested_extra_travels_as_json_in_the_extra_parameter() -> None:
    conn = Connection(
        "c", "http", host="h", extra={"headers": {"X-A": "1"}, "timeout": 5, "verify": False}
    )
    uri = conn.get_uri()
    assert "__extra__=" in uri
    assert Connection.from_uri("c", uri).extra == conn.extra


@pytest.mark.parametrize(
    "conn",
    [
        Connection("c", "postgres", "db", 5432, "scott", "ti:ger/@?#", "app", {"sslmode": "x"}),
        Connection("c", "http", "https://api.example.com", None, None, "tok en", None, {}),
        Connection("c", "aws", None, None, "AKIA", "s/e+cret", None, {"region": "eu-west-1"}),
        Connection("c", "ftp", "files", 21, "", None, None, {}),
        Connection("c", "generic", None, 8080, None, None, None, {}),
        Connection("c", "my_type", "h", None, "l", "p", "s/with/slashes", {}),
    ],
    ids=["postgres", "protocol-host", "no-host", "empty-login", "port-only", "slashes"],
)
def test_get_uri_and_from_uri_round_trip(conn: Connection) -> None:
    back = Connection.from_uri("c", conn.get_uri())
    assert back.to_dict() == {**conn.to_dict(), "login": conn.login or None}


def test_from_json_takes_the_field_names_and_extra_as_object_or_text() -> None:
    a = Connection.from_json(
        "c", '{"conn_type": "http", "host": "h", "port": "80", "extra": {"a": 1}}'
    )
    b = Connection.from_json(
        "c", '{"conn_type": "http", "host": "h", "port": 80, "extra": "{\\"a\\": 1}"}'
    )
    assert a == b
    assert a.port == 80 and a.extra == {"a": 1}


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: Connection.from_uri("c", "no scheme here"), "is not a connection URI"),
        (lambda: Connection.from_uri("c", "http://h:99999"), "port"),
        (lambda: Connection.from_uri("c", "http://h?__extra__=nope"), "not valid JSON"),
        (lambda: Connection.from_json("c", "[1]"), "must be a JSON object"),
        (lambda: Connection.from_json("c", '{"hots": "h"}'), "unknown field(s) hots"),
        (lambda: Connection("c", "http", port="eighty"), "port 'eighty'"),
    ],
)
def test_bad_input_says_which_connection_and_what_is_wrong(make, message: str) -> None:
    with pytest.raises(InvalidConnectionError, match="connection 'c'") as info:
        make()
    assert message in str(info.value)


def test_an_error_about_a_uri_does_not_quote_its_password() -> None:
    with pytest.raises(InvalidConnectionError) as info:
        Connection.from_uri("c", "http://user:hunter22@h:notaport")
    assert "hunter22" not in str(info.value)


def test_repr_and_redacted_never_show_secrets() -> None:
    conn = Connection("c", "http", "h", login="u", password="hunter22", extra={"token": "t0ken-1"})
    assert "hunter22" not in repr(conn)
    shown = conn.redacted()
    assert shown["password"] == "***" and shown["extra"] == {"token": "***"}
    assert "hunter22" not in str(shown) and "t0ken-1" not in str(shown)
