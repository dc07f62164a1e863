"""The database reads behind the web UI's pages: column-level, paginated, index-backed.

Each function takes an open session, so a view reads everything of one page in one
transaction (one consistent snapshot) and tests and the benchmark call them directly.
"""
