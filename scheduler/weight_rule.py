"""Weight rules: how a task's effective priority is summed from ``priority_weight`` values
(Airflow's ``WeightRule``; ``downstream`` is the default)."""

from __future__ import annotations

from enum import StrEnum


class WeightRule(StrEnum):
    DOWNSTREAM = "downstream"  # its own weight plus every task below it
    UPSTREAM = "upstream"  # its own weight plus every task above it
    ABSOLUTE = "absolute"  # its own weight only

    @classmethod
    def names(cls) -> list[str]:
        return [rule.value for rule in cls]

    @classmethod
    def is_valid(cls, weight_rule: str) -> bool:
        """Airflow's ``WeightRule.is_valid``."""
        return weight_rule in cls.all_weight_rules()

    @classmethod
    def all_weight_rules(cls) -> set[str]:
        """Airflow's ``WeightRule.all_weight_rules``."""
        return set(cls.names())
