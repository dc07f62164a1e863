"""load_dag_specs: a whole folder at once, as CLI commands without a scheduler use it."""

from __future__ import annotations

from scheduler.loader import load_dag_specs

from .dag_sources import HEADER, good_dag


def test_loads_every_dag_and_every_error_of_the_folder(write):
    write("a.py", good_dag("alpha"))
    write("team/b.py", good_dag("beta"))
    write("broken.py", HEADER + "raise RuntimeError('broken on purpose')\n")
    write("helper.py", "def helper():\n    return 1\n")  # no DAG words: never imported

    specs, errors = load_dag_specs(write("c.py", good_dag("gamma")).parent, 30, 2)

    assert sorted(specs) == ["alpha", "beta", "gamma"]
    assert [(e.filename.rsplit("/", 1)[1], e.lineno) for e in errors] == [("broken.py", 2)]


def test_a_dag_id_in_two_files_is_an_error_for_the_second_naming_both(dags, write):
    first = write("a_first.py", good_dag("shared"))
    second = write("b_second.py", good_dag("shared", ("other",)))

    specs, errors = load_dag_specs(dags, timeout=30, parallelism=2)

    assert specs["shared"].fileloc == str(first)
    [error] = errors
    assert error.filename == str(second)
    assert str(first) in error.message and str(second) in error.message
    assert "'shared'" in error.message
