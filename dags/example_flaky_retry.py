"""A flaky task that fails on its first try and succeeds on a retry.

Retries use exponential backoff with jitter: 1 s, then about 2 s, capped at 10 s. The log
of each try is kept: ``baton tasks logs example_flaky_retry RUN_ID call_flaky_service --try 1``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from scheduler import DAG, PythonOperator, task


def call_flaky_service(ti=None) -> str:
    if ti.try_number < 2:
        raise ConnectionError("service unavailable (simulated): the next try will succeed")
    return f"answered on try {ti.try_number}"


with DAG(
    dag_id="example_flaky_retry",
    schedule="@hourly",
    start_date=datetime(2026, 1, 1, tzinfo=UTC),
    catchup=False,
    tags=["example"],
) as dag:
    flaky = PythonOperator(
        task_id="call_flaky_service",
        python_callable=call_flaky_service,
        retries=3,
        retry_delay=timedelta(seconds=1),
        retry_exponential_backoff=True,
        max_retry_delay=timedelta(seconds=10),
    )

    @task
    def report(answer: str) -> None:
        print(f"the service {answer}")

    report(flaky.output)
