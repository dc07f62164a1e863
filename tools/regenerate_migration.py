"""Regenerate the single initial migration from the models (Baton is not released yet).

Run after changing a table: ``.venv/bin/python tools/regenerate_migration.py``. Once Baton
is released, schema changes get new revisions instead (``alembic revision --autogenerate``).
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from alembic import command

from scheduler.store.db import make_engine
from scheduler.store.migrate import MIGRATIONS, alembic_config

TARGET = MIGRATIONS / "versions" / "0001_initial_schema.py"


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        engine = make_engine(f"sqlite:///{Path(folder) / 'empty.db'}")
        backup = TARGET.read_text() if TARGET.exists() else None
        TARGET.unlink(missing_ok=True)
        try:
            command.revision(
                alembic_config(engine), message="initial schema", autogenerate=True, rev_id="0001"
            )
        except Exception:
            if backup is not None:
                TARGET.write_text(backup)
            raise
    ruff = Path(sys.executable).with_name("ruff")
    subprocess.run([str(ruff), "format", "-q", str(TARGET)], check=False)
    subprocess.run([str(ruff), "check", "--fix", "-q", str(TARGET)], check=False)
    print(f"regenerated {TARGET}")


if __name__ == "__main__":
    main()
