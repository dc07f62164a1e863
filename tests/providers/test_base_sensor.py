"""``BaseSensorOperator`` run through the real runner: poke until true, time out, soft-fail."""

from __future__ import annotations

import pytest

from scheduler import BaseSensorOperator, PokeReturnValue
from scheduler.errors import DagDefinitionError
from tests.runner.support import DagFolder, xcom

SENSOR_DAG = """
    from pathlib import Path
    from scheduler import DAG, BaseSensorOperator, PokeReturnValue

    COUNTER = Path(__file__).with_name("pokes.txt")

    class CountingSensor(BaseSensorOperator):
        def __init__(self, *, done_after, xcom=None, **kwargs):
            super().__init__(**kwargs)
            self.done_after = done_after
            self.xcom = xcom

        def poke(self, context):
            pokes = int(COUNTER.read_text()) + 1 if COUNTER.exists() else 1
            COUNTER.write_text(str(pokes))
            done = pokes >= self.done_after
            return PokeReturnValue(done, self.xcom) if self.xcom else done

    with DAG("demo"):
        CountingSensor(task_id="third_time", done_after=3, poke_interval=0.01)
        CountingSensor(task_id="with_xcom", done_after=2, poke_interval=0.01, xcom={"n": 2})
        CountingSensor(task_id="never", done_after=10**9, poke_interval=0.05, timeout=0.3,
                       retries=3)
        CountingSensor(task_id="never_soft", done_after=10**9, poke_interval=0.05,
                       timeout=0.3, soft_fail=True)
"""


@pytest.fixture
def dags(tmp_path) -> DagFolder:
    folder = DagFolder(tmp_path)
    folder.write(SENSOR_DAG)
    return folder


def pokes(dags: DagFolder) -> int:
    return int((dags.folder / "pokes.txt").read_text())


def test_the_sensor_pokes_until_its_condition_holds(dags: DagFolder) -> None:
    finished, log = dags.run("third_time")
    assert finished.state == "success", log
    assert pokes(dags) == 3
    assert "Success criteria met after 3 poke(s)" in log


def test_a_poke_return_value_becomes_the_xcom(dags: DagFolder) -> None:
    finished, log = dags.run("with_xcom")
    assert finished.state == "success", log
    assert xcom(finished) == {"n": 2}


def test_a_timeout_fails_the_sensor_without_retry(dags: DagFolder) -> None:
    finished, _ = dags.run("never")
    assert finished.state == "failed"
    assert finished.retryable is False  # retries=3 does not apply to a sensor timeout
    assert finished.error.startswith("BatonSensorTimeout: sensor 'never' timed out")
    assert "timeout=0.3 s" in finished.error
    assert pokes(dags) >= 2


def test_soft_fail_skips_on_timeout(dags: DagFolder) -> None:
    finished, log = dags.run("never_soft")
    assert finished.state == "skipped", log
    assert "soft_fail=True: skipping" in log


class Never(BaseSensorOperator):
    def poke(self, context) -> bool:
        return False


def test_exponential_backoff_grows_and_is_capped_by_max_wait() -> None:
    sensor = Never(task_id="s", poke_interval=1, exponential_backoff=True, max_wait=10)
    intervals = [sensor.next_poke_interval(n) for n in range(1, 8)]
    assert all(1 <= i <= 10 for i in intervals)
    assert intervals[-1] > 4  # 2**6 s halved at worst by jitter, then capped at 10
    plain = Never(task_id="p", poke_interval=2)
    assert [plain.next_poke_interval(n) for n in (1, 5)] == [2, 2]


def test_unsupported_mode_and_bad_interval_are_definition_errors() -> None:
    with pytest.raises(DagDefinitionError, match="mode='later' is not a sensor mode"):
        Never(task_id="r", mode="later")
    assert Never(task_id="ok", mode="reschedule").mode == "reschedule"  # Airflow DAGs load
    with pytest.raises(DagDefinitionError, match="poke_interval='soon'"):
        Never(task_id="b", poke_interval="soon")


def test_poke_return_value_is_truthy_only_when_done() -> None:
    assert not PokeReturnValue(False, 1)
    assert PokeReturnValue(True)
