"""The Store: sqlmodel tables, sessions, transitions with their event log, queries, migrations.

Import the module of the area you need (`scheduler.store.runs`, `scheduler.store.db`...);
this package exports nothing of its own so that importing one area stays cheap.
"""
