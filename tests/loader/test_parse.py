"""parse_files: each DAG file imported in a child of its own, whatever the file does."""

from __future__ import annotations

import os
import sys
from datetime import UTC

from scheduler.loader import FileResult, parse_files
from scheduler.loader.importer import module_name_for
from scheduler.loader.parse import MAX_FILES_PER_CHILD, files_per_child_for

from .dag_sources import HEADER, good_dag


def parse(*paths, timeout: float = 30) -> dict[str, FileResult]:
    return {r.path: r for r in parse_files(paths, timeout=timeout, parallelism=2)}


def only_error(result: FileResult):
    assert result.dags == []
    [error] = result.errors
    assert error.filename == result.path
    return error


def test_a_good_file_gives_its_dag_spec_and_is_never_imported_here(write):
    path = write("orders.py", good_dag("orders"))

    [result] = parse(path).values()

    assert result.path == str(path)
    assert result.errors == []
    [spec] = result.dags
    assert spec.dag_id == "orders"
    assert spec.fileloc == str(path)
    assert list(spec.tasks) == ["extract", "load"]
    assert spec.tasks["load"].upstream == ("extract",)
    assert result.mtime_ns == os.stat(path).st_mtime_ns
    assert result.parsed_at.tzinfo is UTC
    assert result.duration_s > 0
    assert module_name_for(path) not in sys.modules


def test_a_syntax_error_has_its_line_and_does_not_hide_the_good_file(write):
    good = write("good.py", good_dag("good"))
    bad = write("bad.py", HEADER + "\ndef broken(:\n    pass\n")

    results = parse(good, bad)

    assert [spec.dag_id for spec in results[str(good)].dags] == ["good"]
    error = only_error(results[str(bad)])
    assert error.lineno == 3
    assert "SyntaxError" in error.message


def test_an_exception_at_import_is_reported_with_its_line(write):
    path = write("raises.py", HEADER + "\nraise ValueError('no config for orders')\n")

    error = only_error(parse(path)[str(path)])

    assert error.lineno == 3
    assert "ValueError: no config for orders" in error.message


def test_os_abort_is_reported_as_a_crash_and_the_other_file_still_loads(write):
    good = write("good.py", good_dag("good"))
    crash = write("crash.py", HEADER + "import os\n\nos.abort()\n")

    results = parse(crash, good)

    error = only_error(results[str(crash)])
    assert error.message.startswith(f"the import of {crash} crashed the interpreter at line 4")
    assert "killed by signal SIGABRT" in error.message
    assert error.lineno == 4
    assert [spec.dag_id for spec in results[str(good)].dags] == ["good"]


def test_os_exit_is_reported_with_its_exit_code(write):
    path = write("leaves.py", HEADER + "import os\nos._exit(3)\n")

    error = only_error(parse(path)[str(path)])

    assert "crashed the interpreter" in error.message
    assert "exit code 3" in error.message


def test_a_hanging_file_is_stopped_and_does_not_hold_up_a_good_one(write):
    hung = write("hung.py", HEADER + "import time\ntime.sleep(3600)\n")
    good = write("good.py", good_dag("good"))

    results = list(parse_files([hung, good], timeout=2, parallelism=2))

    assert [r.path for r in results] == [str(good), str(hung)]
    error = only_error(results[1])
    assert error.message.startswith(
        f"import of {hung} took longer than 2 s (BATON_DAG_FILE_IMPORT_TIMEOUT)"
    )
    assert "raise the timeout" in error.message
    assert error.lineno == 3


def test_a_cycle_is_reported_with_its_path(write):
    source = good_dag("loop", ("a", "b", "c")) + "    c >> a\n"
    path = write("loop.py", source)

    error = only_error(parse(path)[str(path)])

    assert "CycleError" in error.message or "cycle" in error.message
    assert "a -> b -> c -> a" in error.message


def test_prints_at_import_are_captured_not_shown(write, capfd):
    path = write("chatty.py", good_dag("chatty") + "print('hello from the DAG file')\n")

    [result] = parse(path).values()

    assert result.errors == []
    assert "hello from the DAG file" in result.output
    assert "hello from the DAG file" not in capfd.readouterr().out


def test_a_missing_file_is_an_error_not_an_exception(dags):
    missing = dags / "gone.py"

    [result] = parse(missing).values()

    assert result.mtime_ns == 0
    assert "gone.py" in only_error(result).message


def test_files_sharing_a_child_do_not_see_each_others_helper_modules(write):
    write("shared_state.py", "value = 'fresh'\n")
    mutate = "import shared_state\nshared_state.value = 'changed by a_first'\n"
    first = write("a_first.py", good_dag("first") + mutate)
    second = write(
        "b_second.py",
        """
        from datetime import datetime

        import shared_state
        from scheduler.authoring import DAG, EmptyOperator

        with DAG("second", start_date=datetime(2024, 1, 1), description=shared_state.value):
            EmptyOperator(task_id="only")
        """,
    )

    results = list(parse_files([first, second], timeout=30, parallelism=1, files_per_child=2))

    assert [r.errors for r in results] == [[], []]
    assert results[1].dags[0].description == "fresh"


def test_files_per_child_is_one_for_small_passes_and_capped_for_large_ones():
    assert files_per_child_for(1, parallelism=2) == 1
    assert files_per_child_for(15, parallelism=2) == 1
    assert files_per_child_for(40, parallelism=2) == 5
    assert files_per_child_for(500, parallelism=2) == MAX_FILES_PER_CHILD


def test_a_segfault_is_reported_with_the_signal(write):
    path = write("segv.py", HEADER + "import ctypes\nctypes.string_at(0)\n")

    error = only_error(parse(path)[str(path)])

    assert "crashed the interpreter at line 3: killed by signal SIGSEGV" in error.message
