"""What users can do, as library functions: the CLI and the web UI call these.

Each function takes the settings, opens its own short transaction and returns plain data or
ORM rows. Errors are ``BatonError``s whose message tells the user what to do.

The names load on first use (``api.list_runs`` imports ``scheduler.api.runs`` then): a CLI
call needs one or two of these modules, and importing all of them, with the engine and the
runner behind some, was most of its start-up.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from scheduler.lazy_exports import lazy_exports

if TYPE_CHECKING:
    from scheduler.api.dags import (
        dag_ids_with_tag,
        dags_page,
        get_dag,
        import_errors,
        import_errors_page,
        list_dags,
        set_paused,
        sync_dags,
    )
    from scheduler.api.databases import database, read_database
    from scheduler.api.explain import explain_run, explain_run_state
    from scheduler.api.inputs import parse_conf, parse_logical_date
    from scheduler.api.monitoring import events_page, record_event, scheduler_health
    from scheduler.api.pools import (
        create_pool,
        delete_pool,
        get_pool,
        list_pools,
        set_pool,
        update_pool,
    )
    from scheduler.api.run_actions import clear_run, delete_run, mark_run
    from scheduler.api.runs import compensate_run, get_run, list_runs, runs_page, trigger_dag
    from scheduler.api.task_test import run_task_test
    from scheduler.api.tasks import (
        clear_tasks,
        get_task_instance,
        list_mapped_instances,
        list_task_instances,
        list_tries,
        list_xcoms,
        mark_tasks,
        read_task_log,
    )
    from scheduler.api.users import (
        LOGIN_FAILURE_WINDOW,
        LOGIN_MAX_FAILURES,
        LOGIN_POLICY,
        change_own_password,
        change_role,
        create_token,
        create_user,
        delete_user,
        find_user,
        get_user,
        list_tokens,
        list_users,
        login,
        logout,
        require_user,
        reset_password,
        revoke_token,
        set_user_active,
        tokens_by_user,
        user_for_token,
    )

#: public name -> the module that defines it
_HOMES = {
    "dag_ids_with_tag": "scheduler.api.dags",
    "dags_page": "scheduler.api.dags",
    "get_dag": "scheduler.api.dags",
    "import_errors": "scheduler.api.dags",
    "import_errors_page": "scheduler.api.dags",
    "list_dags": "scheduler.api.dags",
    "set_paused": "scheduler.api.dags",
    "sync_dags": "scheduler.api.dags",
    "database": "scheduler.api.databases",
    "read_database": "scheduler.api.databases",
    "explain_run": "scheduler.api.explain",
    "explain_run_state": "scheduler.api.explain",
    "parse_conf": "scheduler.api.inputs",
    "parse_logical_date": "scheduler.api.inputs",
    "events_page": "scheduler.api.monitoring",
    "record_event": "scheduler.api.monitoring",
    "scheduler_health": "scheduler.api.monitoring",
    "create_pool": "scheduler.api.pools",
    "delete_pool": "scheduler.api.pools",
    "get_pool": "scheduler.api.pools",
    "list_pools": "scheduler.api.pools",
    "set_pool": "scheduler.api.pools",
    "update_pool": "scheduler.api.pools",
    "clear_run": "scheduler.api.run_actions",
    "delete_run": "scheduler.api.run_actions",
    "mark_run": "scheduler.api.run_actions",
    "compensate_run": "scheduler.api.runs",
    "get_run": "scheduler.api.runs",
    "list_runs": "scheduler.api.runs",
    "runs_page": "scheduler.api.runs",
    "trigger_dag": "scheduler.api.runs",
    "clear_tasks": "scheduler.api.tasks",
    "get_task_instance": "scheduler.api.tasks",
    "list_mapped_instances": "scheduler.api.tasks",
    "list_task_instances": "scheduler.api.tasks",
    "list_tries": "scheduler.api.tasks",
    "list_xcoms": "scheduler.api.tasks",
    "mark_tasks": "scheduler.api.tasks",
    "read_task_log": "scheduler.api.tasks",
    "run_task_test": "scheduler.api.task_test",
    "LOGIN_FAILURE_WINDOW": "scheduler.api.users",
    "LOGIN_MAX_FAILURES": "scheduler.api.users",
    "LOGIN_POLICY": "scheduler.api.users",
    "change_own_password": "scheduler.api.users",
    "change_role": "scheduler.api.users",
    "create_token": "scheduler.api.users",
    "create_user": "scheduler.api.users",
    "delete_user": "scheduler.api.users",
    "find_user": "scheduler.api.users",
    "get_user": "scheduler.api.users",
    "list_tokens": "scheduler.api.users",
    "list_users": "scheduler.api.users",
    "login": "scheduler.api.users",
    "logout": "scheduler.api.users",
    "require_user": "scheduler.api.users",
    "reset_password": "scheduler.api.users",
    "revoke_token": "scheduler.api.users",
    "set_user_active": "scheduler.api.users",
    "tokens_by_user": "scheduler.api.users",
    "user_for_token": "scheduler.api.users",
}

__all__ = [
    # databases
    "database",
    "read_database",
    # inputs
    "parse_conf",
    "parse_logical_date",
    # dags
    "sync_dags",
    "list_dags",
    "get_dag",
    "set_paused",
    "dag_ids_with_tag",
    "import_errors",
    "dags_page",
    "import_errors_page",
    # runs
    "trigger_dag",
    "list_runs",
    "get_run",
    "runs_page",
    "compensate_run",
    "clear_run",
    "mark_run",
    "delete_run",
    "explain_run",
    "explain_run_state",
    # tasks
    "list_task_instances",
    "list_mapped_instances",
    "list_tries",
    "clear_tasks",
    "mark_tasks",
    "get_task_instance",
    "list_xcoms",
    "read_task_log",
    "run_task_test",
    # users
    "LOGIN_FAILURE_WINDOW",
    "LOGIN_MAX_FAILURES",
    "LOGIN_POLICY",
    "create_user",
    "list_users",
    "find_user",
    "get_user",
    "delete_user",
    "login",
    "logout",
    "create_token",
    "list_tokens",
    "revoke_token",
    "user_for_token",
    "require_user",
    "tokens_by_user",
    "change_role",
    "reset_password",
    "change_own_password",
    "set_user_active",
    # pools
    "list_pools",
    "get_pool",
    "set_pool",
    "create_pool",
    "update_pool",
    "delete_pool",
    # monitoring
    "record_event",
    "events_page",
    "scheduler_health",
]


__getattr__, __dir__ = lazy_exports(globals(), _HOMES)
