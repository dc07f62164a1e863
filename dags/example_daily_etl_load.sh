#!/usr/bin/env bash
# A template: Baton renders it with the run's context before running it.
set -euo pipefail
echo "loading {{ ti.xcom_pull(task_ids='transform')['rows'] }} rows for {{ ds }} into ${TARGET_TABLE}"
echo "run {{ run_id }}, try {{ ti.try_number }}"
