from tests.e2e.conftest import baton  # noqa: F401  (the real CLI in its own BATON_HOME)
