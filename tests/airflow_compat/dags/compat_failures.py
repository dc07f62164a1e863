"""Failure semantics: AirflowFailException skips retries, upstream_failed, all_done."""

import pendulum

from scheduler import DAG, AirflowFailException, EmptyOperator, TriggerRule, task


@task(retries=3)
def fail_at_once():
    raise AirflowFailException("bad input: retrying cannot help")


@task
def never_runs():
    raise AssertionError("an upstream failed, so this must not run")


with DAG("compat_failures", schedule="@once", start_date=pendulum.datetime(2021, 1, 1, tz="UTC")):
    failed = fail_at_once()
    failed >> never_runs()
    failed >> EmptyOperator(task_id="cleanup", trigger_rule=TriggerRule.ALL_DONE)
