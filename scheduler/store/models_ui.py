"""Indexes the web UI's pages need on the core tables (declared here to keep models.py about
the Engine's needs).

The metrics dashboard reads the runs and tries that ended within a window (last hour, day,
week). The ``end_date`` indexes also carry the columns the dashboard counts by (state, try
number), so the counts are read from the index alone, without visiting the rows; the
``dag_id`` one serves a single DAG's dashboard.
"""

from __future__ import annotations

from sqlalchemy import Index

from scheduler.store.models import dag_run_table, task_try_table

_try, _run = task_try_table.c, dag_run_table.c

ix_task_try_end_date = Index("ix_task_try_end_date", _try.end_date, _try.state, _try.try_number)
ix_task_try_dag_id_end_date = Index("ix_task_try_dag_id_end_date", _try.dag_id, _try.end_date)
ix_dag_run_end_date = Index("ix_dag_run_end_date", _run.end_date, _run.state)
