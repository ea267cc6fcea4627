"""The database connection: one SQLite file in WAL mode, migrated on open."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Self

import sqlite_utils

from bot.errors import ConfigError
from bot.store.migrations import MIGRATIONS
from bot.types import iso


class StoreBase:
    """What every part of the store shares: the connection, migrations, and one scalar query."""

    def __init__(self, db: sqlite_utils.Database):
        self.db = db

    @classmethod
    def open(cls, path: str | Path, migrations: Iterable[tuple[str, Callable]] | None = None) -> Self:
        """Open (creating it and its folder if need be) and migrate the database; ``":memory:"`` for none.

        A folder or file that cannot be used is a ConfigError naming it and what to do."""
        path = Path(path)
        try:
            if str(path) != ":memory:":
                if path.parent.exists() and not path.parent.is_dir():
                    raise ConfigError(f"{path.parent} is a file, not a folder: give --data DIR (or TIESWATCH_DATA)")
                path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(path, timeout=30, isolation_level=None)
            return cls._migrated(conn, migrations)
        except (OSError, sqlite3.Error) as e:
            reason = getattr(e, "strerror", None) or str(e)
            raise ConfigError(
                f"cannot use {path} ({reason}): give --data DIR (or TIESWATCH_DATA) a folder you can write"
            ) from None

    @classmethod
    def _migrated(cls, conn: sqlite3.Connection, migrations: Iterable[tuple[str, Callable]] | None) -> Self:
        conn.execute("PRAGMA busy_timeout = 30000")
        conn.execute("PRAGMA foreign_keys = ON")
        db = sqlite_utils.Database(conn)
        db.enable_wal()
        conn.execute("PRAGMA synchronous = NORMAL")  # safe under WAL; a power cut loses at most the last commits
        store = cls(db)
        store.migrate(MIGRATIONS if migrations is None else migrations)
        return store

    def close(self) -> None:
        self.db.conn.close()

    def migrate(self, migrations: Iterable[tuple[str, Callable]]) -> list[str]:
        """Apply the migrations this database has not seen, in order; return their names."""
        self.db["migrations"].create({"name": str, "applied_at": str}, pk="name", if_not_exists=True)
        done = {r["name"] for r in self.db["migrations"].rows}
        applied = []
        for name, step in migrations:
            if name in done:
                continue
            with self.db.conn:
                self.db.conn.execute("BEGIN IMMEDIATE")
                step(self.db)
                self.db["migrations"].insert({"name": name, "applied_at": iso(datetime.now(UTC))})
            applied.append(name)
        return applied

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """Everything written inside is committed together or not at all (a crash leaves no half of it);
        the store's own methods join an open transaction instead of committing on their own."""
        with self.db.atomic():
            yield

    def applied_migrations(self) -> list[str]:
        return [r["name"] for r in self.db["migrations"].rows_where(order_by="name")]

    def _scalar(self, sql: str, args: Iterable = ()) -> object:
        return self.db.execute(sql, list(args)).fetchone()[0]
