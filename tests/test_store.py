"""The store: one SQLite file in WAL mode, named append-only migrations, idempotent writes."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime

from bot.ingest.parse import parse_feed
from bot.store import MIGRATIONS, Store
from bot.types import Feed, Plan, Score
from classifier.excerpt import Excerpt

NOW = datetime(2025, 1, 1, tzinfo=UTC)


def test_migrations_run_once_in_order_and_the_database_is_in_wal_mode(tmp_path):
    path = tmp_path / "t.db"
    store = Store.open(path)
    assert store.applied_migrations() == [name for name, _ in MIGRATIONS]
    assert store.migrate(MIGRATIONS) == []  # nothing left to apply
    store.close()
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {
        "feeds",
        "items",
        "fetch_log",
        "scores",
        "alerts",
        "subscribers",
        "deliveries",
        "labels",
        "retrains",
        "migrations",
    } <= tables
    reopened = Store.open(path)  # an existing database opens without re-running anything
    assert reopened.applied_migrations() == [name for name, _ in MIGRATIONS]
    reopened.close()


def test_a_new_migration_is_applied_to_an_existing_database(tmp_path):
    store = Store.open(tmp_path / "t.db")

    def add_notes(db):
        db["notes"].create({"id": int, "text": str}, pk="id")

    assert store.migrate([*MIGRATIONS, ("999_notes", add_notes)]) == ["999_notes"]
    assert "notes" in store.db.table_names()
    store.close()


def test_items_alerts_and_deliveries_are_idempotent(tmp_path):
    store = Store.open(tmp_path / "t.db")
    rss = (
        b'<rss version="2.0"><channel><title>T</title><item><title>A</title><link>http://x.example/a</link>'
        b"</item></channel></rss>"
    )
    items = parse_feed(rss, Feed("F", "http://x.example/feed", "en"), {"content-type": "text/xml"}, NOW).items
    assert len(store.add_items(items)) == 1 and store.add_items(items) == []
    score = Score(items[0].id, 0.9, True, (), Excerpt("", ()), "v")
    alert = store.create_alert(score, NOW)
    assert alert is not None and store.create_alert(score, NOW) is None
    delivery = Plan(alert, 1, False, NOW)
    assert store.add_deliveries([delivery], NOW) == 1 and store.add_deliveries([delivery], NOW) == 0
    store.close()
