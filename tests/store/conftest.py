"""The store tests run on both back ends through ``db`` / ``database_url`` from
``tests/conftest.py``: a SQLite file, and a PostgreSQL database of each test's own."""
