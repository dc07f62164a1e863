"""The Loader: finds DAG files and imports each in a child process of its own.

The scheduler never imports a DAG file: ``LoaderProcess`` keeps a loader child that sends
``DagSpec``s and import errors over a pipe; CLI commands without a scheduler use
``load_dag_specs``.
"""

from scheduler.loader.discovery import FolderSnapshot, find_dag_files, might_contain_dag
from scheduler.loader.importer import ImportErrorInfo, ImportResult, import_dag_file
from scheduler.loader.load import load_dag_specs
from scheduler.loader.messages import FileParsed, FilesDeleted, LoaderMessage, ScanComplete
from scheduler.loader.parse import parse_files
from scheduler.loader.process import LoaderProcess
from scheduler.loader.results import FileResult

__all__ = [
    "FileParsed",
    "FileResult",
    "FilesDeleted",
    "FolderSnapshot",
    "ImportErrorInfo",
    "ImportResult",
    "LoaderMessage",
    "LoaderProcess",
    "ScanComplete",
    "find_dag_files",
    "import_dag_file",
    "load_dag_specs",
    "might_contain_dag",
    "parse_files",
]
