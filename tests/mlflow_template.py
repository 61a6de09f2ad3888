"""A fresh MLflow sqlite store, copied from one migrated once per test process.

MLflow creates a new sqlite store by running its whole alembic migration chain (about a second of
CPU, dozens of commits); the suite creates a few hundred stores. ``install`` makes the first
creation in a test process run the real migrations into a template, and every later one copy that
template's schema into the new, empty database with sqlite's backup API: the same tables, indexes
and alembic revision MLflow itself wrote. A database that is not empty (an older schema to
upgrade, a half-made one) still goes through MLflow's own code.
"""

from __future__ import annotations

import atexit
import shutil
import sqlite3
import tempfile
from pathlib import Path
from typing import Any

_template: Path | None = None


def _fill_from_template(engine: Any, original: Any) -> None:
    """What MLflow's ``_initialize_tables`` does, taken from the template when it can be."""
    global _template
    from mlflow.store.db.utils import _is_empty_database  # defers mlflow

    if engine.dialect.name != "sqlite" or not _is_empty_database(engine):
        original(engine)
        return
    if _template is None:
        folder = tempfile.mkdtemp(prefix="mlflow-template-")
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        path = Path(folder) / "template.db"
        import sqlalchemy  # defers sqlalchemy

        made = sqlalchemy.create_engine(f"sqlite:///{path}")
        original(made)
        made.dispose()
        _template = path
    raw, source = engine.raw_connection(), sqlite3.connect(_template)
    try:
        source.backup(raw.driver_connection)
    finally:
        source.close()
        raw.close()


def install() -> None:
    """Route MLflow's table creation for new sqlite stores through the template (this process)."""
    import mlflow.store.db.utils as db_utils  # defers mlflow
    import mlflow.store.model_registry.sqlalchemy_store as registry_store

    original = db_utils._initialize_tables
    if getattr(original, "from_template", False):
        return

    def initialize(engine: Any) -> None:
        _fill_from_template(engine, original)

    initialize.from_template = True  # type: ignore[attr-defined]
    db_utils._initialize_tables = initialize
    registry_store._initialize_tables = initialize
