"""What Airflow 3 has that Baton does not (yet): the tables behind the "not supported" errors.

A DAG file written for Airflow must either run on Baton with the same meaning or fail at once
with an error that says which Airflow feature is missing. These tables list Airflow's public
names (importable classes and functions, constructor arguments, attributes) so that the
errors can tell "a typo" (``dag_timeout is not an Airflow argument (did you mean
dagrun_timeout?)``) from "Airflow has it, Baton does not yet".

Keep the tables honest: a name that Baton implements must not be listed as missing. A name
that gets implemented stops being looked up here by itself (the class attribute, module
global or constructor argument exists), so an entry left behind is harmless, but remove it.
"""

from __future__ import annotations

from typing import Any

# -- importable names -----------------------------------------------------------------------

#: Airflow public names Baton lacks: name -> (kind, hint). ``from scheduler import NAME``
#: raises ImportError "NAME is an Airflow <kind> Baton does not support yet".
MISSING_NAMES: dict[str, tuple[str, str]] = {
    # operators (apache-airflow-providers-standard)
    "SmoothOperator": ("operator", ""),
    "EmailOperator": ("operator", ""),
    "KubernetesPodOperator": ("operator", ""),
    "DockerOperator": ("operator", ""),
    # sensors
    "BashSensor": ("sensor", "subclass BaseSensorOperator with a poke() running the command"),
    "PythonSensor": ("sensor", "use @task.sensor or subclass BaseSensorOperator"),
    "DateTimeSensorAsync": (
        "sensor",
        "Airflow 3 deprecates it: use DateTimeSensor(deferrable=True)",
    ),
    "TimeSensor": ("sensor", ""),
    "TimeSensorAsync": (
        "sensor",
        "a DateTimeSensor(target_time=..., deferrable=True) waits freely",
    ),
    "TimeDeltaSensorAsync": (
        "sensor",
        "Airflow 3 deprecates it: use TimeDeltaSensor(deferrable=True)",
    ),
    "WaitSensor": ("sensor", ""),
    "DayOfWeekSensor": ("sensor", ""),
    # assets (data-aware scheduling) and object storage
    "Metadata": ("class", "asset events"),
    "asset": ("decorator", "assets and asset-triggered schedules"),
    "Dataset": ("class", "Airflow 2's datasets are Airflow 3's assets"),
    "ObjectStoragePath": ("class", "object storage"),
    # timetables: Baton takes cron strings, presets, timedeltas and None
    "Timetable": ("timetable", "custom timetables; use a cron string, a preset or a timedelta"),
    "CronTriggerTimetable": ("timetable", "use the cron string itself: schedule='0 6 * * *'"),
    "CronDataIntervalTimetable": ("timetable", "use the cron string itself"),
    "DeltaTriggerTimetable": ("timetable", "use a timedelta: schedule=timedelta(hours=1)"),
    "DeltaDataIntervalTimetable": ("timetable", "use a timedelta: schedule=timedelta(hours=1)"),
    "MultipleCronTriggerTimetable": ("timetable", ""),
    "EventsTimetable": ("timetable", ""),
    "AssetOrTimeSchedule": ("timetable", "assets and asset-triggered schedules"),
    # deferrable operators and triggers
    # other authoring names
    "BaseOperatorLink": ("class", "operator extra links"),
    "get_parsing_context": ("function", ""),
    "literal": ("function", "template literals"),
    "PriorityWeightStrategy": (
        "class",
        "custom weight rules; use weight_rule='downstream', 'upstream' or 'absolute'",
    ),
    "ExceptionRetryPolicy": ("class", "retry policies; use retries and retry_delay"),
    "ChainRetryPolicy": ("class", "retry policies; use retries and retry_delay"),
    "RetryRule": ("class", "retry policies; use retries and retry_delay"),
    "RetryAction": ("class", "retry policies; raise AirflowFailException to stop retrying"),
    "DagBag": ("class", "load DAG files with `baton dags sync` / `baton dags errors`"),
    "XCom": ("class", "custom XCom backends; use ti.xcom_push / ti.xcom_pull"),
    "BaseXCom": ("class", "custom XCom backends"),
}

#: Names that live in a Baton plugin, not in ``scheduler``.
PLUGIN_NAMES: dict[str, str] = {
    "HttpOperator": "plugins.http",
    "HttpSensor": "plugins.http",
    "HttpHook": "plugins.http",
    "SQLExecuteQueryOperator": "plugins.sql",
    "SqlSensor": "plugins.sql",
    "DbApiHook": "plugins.sql",
}

#: Airflow 2 names that Airflow 3 renamed: old -> new.
RENAMED_NAMES: dict[str, str] = {
    "DummyOperator": "EmptyOperator",
    "SimpleHttpOperator": "HttpOperator",
}


def missing_name_message(name: str) -> str | None:
    """Why ``from scheduler import name`` fails, when ``name`` is one of Airflow's."""
    if name in RENAMED_NAMES:
        new = RENAMED_NAMES[name]
        where = PLUGIN_NAMES.get(new, "scheduler")
        return f"{name} is Airflow 2's name for {new}; use `from {where} import {new}`"
    if name in PLUGIN_NAMES:
        return f"{name} comes with a Baton plugin: `from {PLUGIN_NAMES[name]} import {name}`"
    if name not in MISSING_NAMES:
        return None
    kind, hint = MISSING_NAMES[name]
    return f"{name} is an Airflow {kind} Baton does not support yet" + (
        f" ({hint})" if hint else ""
    )


# -- constructor arguments ------------------------------------------------------------------

#: Every argument of Airflow 3's ``DAG``. Those Baton's DAG accepts are in its signature;
#: the others fail with "... Baton does not support yet".
AIRFLOW_DAG_ARGS: frozenset[str] = frozenset(
    {
        "dag_id", "description", "schedule", "start_date", "end_date", "default_args",
        "template_searchpath", "template_undefined", "user_defined_macros",
        "user_defined_filters", "max_active_tasks", "max_active_runs",
        "max_consecutive_failed_dag_runs", "dagrun_timeout", "deadline", "sla_miss_callback",
        "catchup", "on_success_callback", "on_failure_callback", "doc_md", "params",
        "access_control", "is_paused_upon_creation", "jinja_environment_kwargs",
        "render_template_as_native_obj", "tags", "owner_links", "auto_register", "fail_fast",
        "dag_display_name", "disable_bundle_versioning",
    }
)  # fmt: skip

#: Every argument of Airflow 3's ``BaseOperator``.
AIRFLOW_OPERATOR_ARGS: frozenset[str] = frozenset(
    {
        "task_id", "owner", "email", "email_on_retry", "email_on_failure", "retries",
        "retry_delay", "retry_exponential_backoff", "max_retry_delay", "start_date",
        "end_date", "depends_on_past", "ignore_first_depends_on_past",
        "wait_for_past_depends_before_skipping", "wait_for_downstream", "dag", "params",
        "default_args", "priority_weight", "weight_rule", "queue", "pool", "pool_slots",
        "sla", "execution_timeout", "on_execute_callback", "on_failure_callback",
        "on_success_callback", "on_retry_callback", "on_skipped_callback", "pre_execute",
        "post_execute", "trigger_rule", "resources", "run_as_user", "map_index_template",
        "max_active_tis_per_dag", "max_active_tis_per_dagrun", "executor", "executor_config",
        "do_xcom_push", "multiple_outputs", "inlets", "outlets", "task_group", "doc",
        "doc_md", "doc_json", "doc_yaml", "doc_rst", "task_display_name", "logger_name",
        "allow_nested_operators", "retry_policy",
    }
)  # fmt: skip

#: Arguments of Airflow's own operators, by the name of the Baton class that stands for
#: them (looked up along the operator's class hierarchy).
AIRFLOW_CLASS_ARGS: dict[str, frozenset[str]] = {
    "PythonOperator": frozenset(
        {"python_callable", "op_args", "op_kwargs", "templates_dict", "templates_exts",
         "show_return_value_in_logs"}
    ),
    "BashOperator": frozenset(
        {"bash_command", "env", "append_env", "output_encoding", "skip_on_exit_code", "cwd",
         "output_processor"}
    ),
    "BaseSensorOperator": frozenset(
        {"poke_interval", "timeout", "soft_fail", "mode", "exponential_backoff", "max_wait",
         "silent_fail", "never_fail", "deferrable"}
    ),
    # the providers' operators that Baton's plugins stand for (plugins/http, plugins/sql)
    "HttpOperator": frozenset(
        {"endpoint", "method", "data", "headers", "pagination_function", "response_check",
         "response_filter", "extra_options", "http_conn_id", "log_response", "auth_type",
         "tcp_keep_alive", "tcp_keep_alive_idle", "tcp_keep_alive_count",
         "tcp_keep_alive_interval", "deferrable", "retry_args"}
    ),
    "HttpSensor": frozenset(
        {"endpoint", "http_conn_id", "method", "request_params", "headers",
         "response_error_codes_allowlist", "response_check", "extra_options", "tcp_keep_alive",
         "tcp_keep_alive_idle", "tcp_keep_alive_count", "tcp_keep_alive_interval"}
    ),
    "SQLExecuteQueryOperator": frozenset(
        {"sql", "autocommit", "parameters", "handler", "output_processor", "conn_id",
         "database", "split_statements", "return_last", "show_return_value_in_logs",
         "requires_result_fetch", "hook_params"}
    ),
    "SqlSensor": frozenset(
        {"conn_id", "sql", "parameters", "success", "failure", "selector", "fail_on_empty",
         "hook_params"}
    ),
}  # fmt: skip

#: Values of a not-yet-supported Airflow argument that behave in Airflow exactly as Baton
#: does without it (its default, or a no-op): passing one of them is accepted, since it
#: asks for nothing Baton would ignore. Any other value is refused.
NEUTRAL_VALUES: dict[str, tuple[Any, ...]] = {
    # DAG
    "max_consecutive_failed_dag_runs": (0, None),
    "sla_miss_callback": (None,),
    "access_control": (None,),
    "jinja_environment_kwargs": (None,),
    "render_template_as_native_obj": (False,),
    "owner_links": (None, {}),
    "auto_register": (True,),
    "fail_fast": (False,),
    "disable_bundle_versioning": (False,),
    # BaseOperator: without an e-mail address, Airflow sends no mail whatever email_on_*
    "email": (None, "", []),
    "email_on_retry": (True, False),
    "email_on_failure": (True, False),
    "start_date": (None,),
    "end_date": (None,),
    "ignore_first_depends_on_past": (True,),
    "wait_for_past_depends_before_skipping": (False,),
    "weight_rule": ("downstream",),
    "pool_slots": (1,),
    "sla": (None,),
    "pre_execute": (None,),
    "post_execute": (None,),
    "resources": (None,),
    "run_as_user": (None,),
    "map_index_template": (None,),
    "executor": (None,),
    "executor_config": (None, {}),
    "task_group": (None,),
    "doc": (None,),
    "doc_json": (None,),
    "doc_yaml": (None,),
    "doc_rst": (None,),
    "task_display_name": (None,),
    "logger_name": (None,),
    "allow_nested_operators": (True,),
    "multiple_outputs": (False,),
    "retry_policy": (None,),
    # operators and sensors
    "output_processor": (None,),
    "pagination_function": (None,),
    "retry_args": (None,),
    "hook_params": (None, {}),
    "database": (None,),
    "requires_result_fetch": (False,),
    "show_return_value_in_logs": (True,),
    "silent_fail": (False,),
    "never_fail": (False,),
    "deferrable": (False,),
}

#: Airflow 2 arguments that Airflow 3 removed or renamed: old -> what to write instead.
RENAMED_ARGS: dict[str, str] = {
    "schedule_interval": "schedule",
    "timetable": "schedule",
    "concurrency": "max_active_tasks",
    "task_concurrency": "max_active_tis_per_dag",
    "provide_context": "nothing: the context is always passed to parameters named after its keys",
    "execution_date": "logical_date",
}


def operator_airflow_args(cls: type) -> frozenset[str]:
    """Airflow's arguments for an operator class: BaseOperator's plus its class's own."""
    names = set(AIRFLOW_OPERATOR_ARGS)
    for klass in cls.__mro__:
        names |= AIRFLOW_CLASS_ARGS.get(klass.__name__, frozenset())
    return frozenset(names)


def is_neutral(name: str, value: Any) -> bool:
    """True when ``value`` for the unsupported argument ``name`` changes nothing in Airflow."""
    for neutral in NEUTRAL_VALUES.get(name, ()):
        if value is neutral or (type(value) is type(neutral) and value == neutral):
            return True
    return False


# -- attributes -----------------------------------------------------------------------------

#: Airflow attributes of DAGs, operators and decorated functions that Baton lacks, and what
#: to do instead; used by the ``__getattr__`` fallbacks.
MISSING_ATTRIBUTES: dict[str, str] = {
    "test": "dag.test() is not supported in a DAG file; run `baton dags test DAG_ID`",
    "cli": "dag.cli() is not supported; use the `baton` command",
    "clear": "clearing from Python is not supported; use `baton tasks clear`",
    "run": "running a task from Python is not supported; use `baton tasks test`",
    "dry_run": "dry runs are not supported; use `baton tasks test`",
    "defer": "deferrable operators are not supported yet",
    "add_inlets": "pass inlets=[...] to the operator",
    "add_outlets": "pass outlets=[...] to the operator",
    "timetable": "timetable objects are not supported; read .schedule",
}
