"""The ORM tables (:mod:`hypemeter.storage.tables`), imported on first use.

Importing SQLAlchemy's ORM and declaring the tables takes about a fifth of a second; the
service's start needs neither (the schema check is one Core ``SELECT``, see
:mod:`hypemeter.storage.migrate`), so the modules that query the tables reach them through
:data:`tables`, and :meth:`FeedbackStore.engine <hypemeter.storage.store.FeedbackStore.engine>`
imports them once the schema is checked, before the first query's transaction begins.
"""

from __future__ import annotations

import importlib
from typing import Any

TABLES_MODULE = "hypemeter.storage.tables"


class LazyTables:
    """Attribute access to :mod:`hypemeter.storage.tables`, importing it on the first
    (thread-safe: the import system's module lock). Type checkers see the module itself."""

    def __getattr__(self, name: str) -> Any:
        value = getattr(importlib.import_module(TABLES_MODULE), name)
        setattr(self, name, value)  # later lookups are plain attribute reads
        return value


tables = LazyTables()


def load_tables() -> None:
    """Import the tables now: called before a transaction begins, so that no database lock is
    held while the ORM is imported (a fifth of a second)."""
    importlib.import_module(TABLES_MODULE)
