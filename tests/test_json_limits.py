"""Depth and size of JSON inputs, measured without recursion, refused with the limit named."""

from __future__ import annotations

import json
from typing import Any

import pytest

from scheduler.errors import ConfigError, ConfLimitError
from scheduler.json_limits import (
    JsonLimits,
    check_conf,
    loads_limited,
    member_depths,
    nesting_depth,
    value_depth,
)
from scheduler.masking import MAX_REDACT_DEPTH, redact_value
from scheduler.settings import Settings


def nested(levels: int) -> dict[str, Any]:
    """An object nested ``levels`` deep: ``nested(1) == {}``, ``nested(2) == {"a": {}}``."""
    value: dict[str, Any] = {}
    for _ in range(levels - 1):
        value = {"a": value}
    return value


def deep_text(levels: int) -> str:
    return '{"a":' * (levels - 1) + "{}" + "}" * (levels - 1)


def test_depth_of_text_and_of_values_agree() -> None:
    for levels in (1, 2, 64, 65, 501):
        assert value_depth(nested(levels)) == levels
        assert nesting_depth(json.dumps(nested(levels))) == levels
    assert value_depth(3) == 0 and nesting_depth("3") == 0
    assert value_depth([[1], {"x": [2]}]) == 3


def test_brackets_inside_strings_do_not_count() -> None:
    assert nesting_depth('{"k": "[[[[{{{{ \\" ]]]"}') == 1
    assert nesting_depth(b'["\\\\", [1]]') == 2


def test_a_hundred_thousand_levels_are_measured_without_recursion() -> None:
    text = "[" * 100_000 + "]" * 100_000
    assert nesting_depth(text) == 100_000
    assert nesting_depth("[" * 100_000) == 100_000  # unbalanced, not JSON: measured all the same
    value: list[Any] = []
    for _ in range(100_000):
        value = [value]
    assert value_depth(value) == 100_001


def test_member_depths_name_each_top_level_field() -> None:
    body = json.dumps({"conf": nested(3), "dag_run_id": "r", "x": [[]]})
    assert member_depths(body) == {"conf": 3, "dag_run_id": 0, "x": 2}
    # A key that is also a string value elsewhere, and escaped keys.
    body = '{"a": "conf", "c\\u006fnf": {"b": {}}}'
    assert member_depths(body) == {"a": 0, "conf": 2}


def test_check_conf_names_the_limit_and_the_setting() -> None:
    limits = JsonLimits()
    check_conf(nested(64), limits)
    with pytest.raises(ConfLimitError) as deep:
        check_conf(nested(501), limits)
    assert str(deep.value).startswith(
        "conf is nested 501 levels deep; the limit is 64 (BATON_MAX_CONF_DEPTH)"
    )
    check_conf({"blob": "x" * (64 * 1024 - 20)}, limits)
    with pytest.raises(ConfLimitError, match=r"conf is 70\d+ bytes of JSON; the limit is 65536"):
        check_conf({"blob": "x" * 70_000}, limits)
    check_conf(None, limits)


def test_a_conf_stored_before_the_limits_is_still_shown() -> None:
    """Masking a value 1,000 levels deep (a row from before the limits) hides its depths
    instead of crashing the listing that shows it."""
    shown = redact_value(nested(1000))
    assert value_depth(shown) == MAX_REDACT_DEPTH and "***" in json.dumps(shown)
    assert redact_value(nested(64)) == nested(64)


def test_loads_limited_refuses_before_parsing() -> None:
    limits = JsonLimits(max_depth=3, max_bytes=100)
    assert loads_limited('{"a": {"b": {}}}', limits) == {"a": {"b": {}}}
    with pytest.raises(ConfLimitError, match="--conf is nested 100000 levels deep"):
        loads_limited("[" * 100_000 + "]" * 100_000, JsonLimits(max_bytes=10**6), "--conf")
    with pytest.raises(ConfLimitError, match="BATON_MAX_CONF_SIZE"):
        loads_limited('{"a": "' + "x" * 200 + '"}', limits)
    with pytest.raises(json.JSONDecodeError):
        loads_limited("{oops", limits)


def test_settings_read_the_limits_and_refuse_nonsense(tmp_path) -> None:
    env = {"BATON_HOME": str(tmp_path)}
    defaults = JsonLimits.from_settings(Settings.from_env(env))
    assert defaults == JsonLimits(64, 65536)
    custom = Settings.from_env({**env, "BATON_MAX_CONF_DEPTH": "8", "BATON_MAX_CONF_SIZE": "512"})
    assert JsonLimits.from_settings(custom) == JsonLimits(8, 512)
    with pytest.raises(ConfigError, match="BATON_MAX_CONF_DEPTH must be between 1 and 200"):
        Settings.from_env({**env, "BATON_MAX_CONF_DEPTH": "5000"})
    with pytest.raises(ConfigError, match="BATON_MAX_CONF_SIZE"):
        Settings.from_env({**env, "BATON_MAX_CONF_SIZE": "0"})
