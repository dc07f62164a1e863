"""Template fields are rendered with Jinja2 the way Airflow renders them."""

from __future__ import annotations

from .support import DagFolder, xcom

BASH_DAG = """
    from scheduler import DAG, BashOperator, Param

    with DAG("demo", params={"who": "world", "n": Param(1, type="integer")},
             template_searchpath="SEARCHPATH"):
        BashOperator(task_id="inline", bash_command="echo {{ ds }} {{ params.who }} "
                     "{{ params.n }} {{ conf.get('extra', 'none') }}")
        BashOperator(task_id="from_file", bash_command="scripts/hello.sh")
        BashOperator(task_id="from_searchpath", bash_command="other.sh")
        BashOperator(task_id="typo", bash_command="echo {{ dss }}")
        BashOperator(task_id="dates",
                     bash_command="echo {{ logical_date }} {{ data_interval_start }}")
"""


def write_bash_dag(dags: DagFolder) -> None:
    searchpath = dags.root / "shared_templates"
    searchpath.mkdir()
    (searchpath / "other.sh").write_text("echo searchpath {{ run_id }}\n")
    (dags.folder / "scripts").mkdir()
    (dags.folder / "scripts" / "hello.sh").write_text("echo file {{ ds_nodash }} {{ params.n }}\n")
    dags.write(BASH_DAG.replace("SEARCHPATH", str(searchpath)))


def test_ds_params_and_conf_are_rendered(dags: DagFolder) -> None:
    write_bash_dag(dags)
    finished, log = dags.run("inline", conf={"extra": "x", "n": 5})
    assert finished.state == "success", log
    assert xcom(finished) == "2026-11-28 world 5 x"
    assert "Rendered bash_command: 'echo 2026-11-28 world 5 x'" in log


def test_dates_render_in_iso_8601_as_airflows_pendulum_dates_do(dags: DagFolder) -> None:
    write_bash_dag(dags)
    finished, log = dags.run("dates")
    assert finished.state == "success", log
    assert xcom(finished) == "2026-11-28T06:30:00+00:00 2026-11-27T06:30:00+00:00"


def test_a_template_file_is_loaded_from_the_dag_folder(dags: DagFolder) -> None:
    write_bash_dag(dags)
    finished, log = dags.run("from_file")
    assert finished.state == "success", log
    assert xcom(finished) == "file 20261128 1"


def test_a_template_file_is_found_in_template_searchpath(dags: DagFolder) -> None:
    write_bash_dag(dags)
    finished, log = dags.run("from_searchpath")
    assert finished.state == "success", log
    assert xcom(finished) == "searchpath manual__1"


def test_an_undefined_variable_fails_the_try_as_in_airflow(dags: DagFolder) -> None:
    write_bash_dag(dags)
    finished, log = dags.run("typo")
    assert finished.state == "failed"
    assert finished.error == "UndefinedError: 'dss' is undefined"
    assert "Marking task as FAILED" in log


def test_a_conf_value_breaking_the_param_schema_fails_the_try(dags: DagFolder) -> None:
    write_bash_dag(dags)
    finished, _ = dags.run("inline", conf={"n": "five"})
    assert finished.state == "failed"
    assert finished.error.startswith("ParamValidationError: n: 'five' is not of type 'integer'")


def test_nested_values_macros_and_user_defined_macros_are_rendered(dags: DagFolder) -> None:
    dags.write(
        """
        from scheduler import DAG, PythonOperator

        def show(a, b, ti):
            return {"a": a, "b": b}

        with DAG("demo", user_defined_macros={"project": "baton"},
                 user_defined_filters={"shout": str.upper}):
            PythonOperator(
                task_id="nested",
                python_callable=show,
                op_kwargs={
                    "a": ["{{ ds }}", ("{{ run_id }}", 3)],
                    "b": {"c": "{{ macros.ds_add(ds, 3) }}", "d": "{{ project | shout }}"},
                },
            )
        """
    )
    finished, log = dags.run("nested")
    assert finished.state == "success", log
    assert xcom(finished) == {
        "a": ["2026-11-28", ["manual__1", 3]],
        "b": {"c": "2026-12-01", "d": "BATON"},
    }


def test_the_cached_dag_is_not_changed_by_rendering(dags: DagFolder) -> None:
    write_bash_dag(dags)
    first, _ = dags.run("inline", conf={"extra": "one"})
    second, _ = dags.run("inline", conf={"extra": "two"}, try_number=2)
    assert xcom(first).endswith(" one")
    assert xcom(second).endswith(" two")


def test_xcom_args_are_resolved_and_their_values_not_rendered_again(dags: DagFolder) -> None:
    dags.write(
        """
        from scheduler import DAG, BashOperator, task

        with DAG("demo"):
            @task
            def braces():
                return "{{ not_a_variable }}"

            @task
            def echo(value):
                return value

            word = braces()
            echo(word)
            BashOperator(task_id="fstring", bash_command=f"echo got-{word}-{{{{ ds }}}}")
        """
    )
    dags.run("braces")
    finished, log = dags.run("echo")
    assert finished.state == "success", log
    assert xcom(finished) == "{{ not_a_variable }}"
    finished, log = dags.run("fstring")
    assert finished.state == "success", log
    assert xcom(finished) == "got-{{ not_a_variable }}-2026-11-28"
