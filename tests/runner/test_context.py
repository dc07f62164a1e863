"""The context a task receives has Airflow's keys, computed from the request."""

from __future__ import annotations

from scheduler.runner import macros

from .support import DagFolder, xcom

CONTEXT_DAG = """
    from scheduler import DAG, PythonOperator

    def show(**context):
        ti, run = context["ti"], context["dag_run"]
        return {
            "ds": context["ds"],
            "ds_nodash": context["ds_nodash"],
            "ts": context["ts"],
            "ts_nodash": context["ts_nodash"],
            "logical_date": context["logical_date"].isoformat(),
            "interval": [context["data_interval_start"].isoformat(),
                         context["data_interval_end"].isoformat()],
            "run_id": context["run_id"],
            "try_number": context["try_number"],
            "idempotency_key": context["idempotency_key"],
            "task_instance_key_str": context["task_instance_key_str"],
            "params": dict(context["params"]),
            "conf": context["conf"],
            "dag_run": [run.run_id, run.run_type, run.conf],
            "ti": [ti.dag_id, ti.task_id, ti.run_id, ti.try_number, ti.map_index],
            "same_ti": context["ti"] is context["task_instance"],
            "dag_and_task": [context["dag"].dag_id, context["task"].task_id],
            "macros": [context["macros"].ds_add(context["ds"], -1),
                       type(context["macros"].uuid.uuid4()).__name__],
        }

    with DAG("demo", params={"size": 1}):
        PythonOperator(task_id="show", python_callable=show, params={"colour": "red"})
"""


def test_the_context_has_airflows_keys(dags: DagFolder) -> None:
    dags.write(CONTEXT_DAG)
    finished, log = dags.run("show", try_number=2, run_type="scheduled", conf={"size": 3, "x": 1})
    assert finished.state == "success", log
    assert xcom(finished) == {
        "ds": "2026-11-28",
        "ds_nodash": "20261128",
        "ts": "2026-11-28T06:30:00+00:00",
        "ts_nodash": "20261128T063000",
        "logical_date": "2026-11-28T06:30:00+00:00",
        "interval": ["2026-11-27T06:30:00+00:00", "2026-11-28T06:30:00+00:00"],
        "run_id": "manual__1",
        "try_number": 2,
        "idempotency_key": "demo/manual__1/show",  # the try number is apart
        "task_instance_key_str": "demo__show__20261128",
        "params": {"size": 3, "colour": "red", "x": 1},
        "conf": {"size": 3, "x": 1},
        "dag_run": ["manual__1", "scheduled", {"size": 3, "x": 1}],
        "ti": ["demo", "show", "manual__1", 2, -1],
        "same_ti": True,
        "dag_and_task": ["demo", "show"],
        "macros": ["2026-11-27", "UUID"],
    }


def test_ds_macros() -> None:
    assert macros.ds_add("2026-11-28", 5) == "2026-12-03"
    assert macros.ds_add("2026-03-01", -1) == "2026-02-28"
    assert macros.ds_format("2026-11-28", "%Y-%m-%d", "%d/%m/%Y") == "28/11/2026"
