"""What users can do, as library functions: the CLI and the web UI call these.

Each function takes the settings, opens its own short transaction and returns plain data or
ORM rows. Errors are ``BatonError``s whose message tells the user what to do.
"""

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
from scheduler.api.tasks import (
    clear_tasks,
    get_task_instance,
    list_mapped_instances,
    list_task_instances,
    list_tries,
    list_xcoms,
    mark_tasks,
    read_log_bytes,
    read_task_log,
    task_log_path,
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
    "task_log_path",
    "clear_tasks",
    "mark_tasks",
    "get_task_instance",
    "list_xcoms",
    "read_log_bytes",
    "read_task_log",
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
