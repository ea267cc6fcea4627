"""Store: the one SQLite database (WAL mode) that holds everything, behind named, append-only migrations.

Only this module imports sqlite_utils. Writes are idempotent: polling again, re-importing a file or
re-running a migration never creates a duplicate.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import sqlite_utils

from bot.feeds import Feed
from bot.fetch import Validators
from bot.parse import Item


def iso(t: datetime) -> str:
    return t.astimezone(UTC).isoformat(timespec="seconds")


def from_iso(s: str | None) -> datetime | None:
    return datetime.fromisoformat(s) if s else None


# ---------------------------------------------------------------- migrations
# Append only: a database records which names it has applied; a change of schema is a new entry here.


def _m001_feeds_items_fetch_log(db: sqlite_utils.Database) -> None:
    db["feeds"].create(
        {
            "url": str,
            "name": str,
            "language": str,
            "etag": str,
            "last_modified": str,
            "last_status": int,
            "last_success": str,
            "last_error": str,
            "last_error_at": str,
            "error_streak": int,
            "next_attempt": str,
            "first_polled": str,
            "added_at": str,
        },
        pk="url",
        defaults={"error_streak": 0},
    )
    db["items"].create(
        {
            "id": str,
            "feed_url": str,
            "source": str,
            "language": str,
            "title": str,
            "summary": str,
            "text": str,
            "link": str,
            "published": str,
            "fetched_at": str,
        },
        pk="id",
    )
    db["items"].create_index(["published"])
    db["items"].create_index(["link"])
    db["items"].create_index(["feed_url", "published"])
    db["fetch_log"].create(
        {
            "id": int,
            "feed_url": str,
            "at": str,
            "status": int,
            "new_items": int,
            "error": str,
            "warning": str,
            "elapsed_ms": int,
            "bytes": int,
        },
        pk="id",
    )
    db["fetch_log"].create_index(["feed_url", "at"])


def _m002_scores_alerts_subscribers_deliveries_labels(db: sqlite_utils.Database) -> None:
    db["scores"].create(
        {
            "item_id": str,
            "score": float,
            "relevant": int,
            "why": str,
            "excerpt": str,
            "marks": str,
            "model_version": str,
            "scored_at": str,
        },
        pk="item_id",
    )
    db["alerts"].create(
        {
            "id": int,
            "item_id": str,
            "score": float,
            "why": str,
            "excerpt": str,
            "marks": str,
            "model_version": str,
            "created_at": str,
        },
        pk="id",
    )
    db["alerts"].create_index(["item_id"], unique=True)
    db["alerts"].create_index(["created_at"])
    db["subscribers"].create(
        {
            "chat_id": int,
            "kind": str,
            "title": str,
            "ui_language": str,
            "sensitivity": str,
            "languages": str,
            "mode": str,
            "digest": str,
            "digest_hour": int,
            "quiet_start": int,
            "quiet_end": int,
            "timezone": str,
            "active": int,
            "created_at": str,
            "updated_at": str,
        },
        pk="chat_id",
        defaults={
            "sensitivity": "normal",
            "languages": "",
            "mode": "instant",
            "digest": "daily",
            "digest_hour": 8,
            "timezone": "UTC",
            "active": 1,
            "ui_language": "en",
            "kind": "private",
        },
    )
    db["deliveries"].create(
        {
            "id": int,
            "alert_id": int,
            "chat_id": int,
            "digest": int,
            "status": str,
            "due_at": str,
            "attempts": int,
            "next_try_at": str,
            "last_error": str,
            "message_id": int,
            "created_at": str,
            "sent_at": str,
        },
        pk="id",
        defaults={"status": "pending", "attempts": 0, "digest": 0},
    )
    db["deliveries"].create_index(["alert_id", "chat_id"], unique=True)
    db["deliveries"].create_index(["status", "due_at"])
    db["labels"].create(
        {
            "item_id": str,
            "user_id": int,
            "chat_id": int,
            "label": int,
            "source": str,
            "is_admin": int,
            "created_at": str,
        },
        pk=("item_id", "user_id"),
    )
    db["labels"].create_index(["created_at"])


def _m003_feed_pause_and_retrains(db: sqlite_utils.Database) -> None:
    db["feeds"].add_column("paused_at", str)
    db["feeds"].add_column("paused_reason", str)
    db["retrains"].create(
        {
            "id": int,
            "at": str,
            "trigger": str,
            "candidate": str,
            "current": str,
            "promoted": int,
            "labels": int,
            "report": str,
        },
        pk="id",
    )


MIGRATIONS: list[tuple[str, Callable[[sqlite_utils.Database], None]]] = [
    ("001_feeds_items_fetch_log", _m001_feeds_items_fetch_log),
    ("002_scores_alerts_subscribers_deliveries_labels", _m002_scores_alerts_subscribers_deliveries_labels),
    ("003_feed_pause_and_retrains", _m003_feed_pause_and_retrains),
]


# ---------------------------------------------------------------- records


@dataclass(frozen=True)
class FeedState:
    """What the store knows of a feed between polls."""

    url: str
    validators: Validators
    error_streak: int
    next_attempt: datetime | None
    first_polled: datetime | None
    last_success: datetime | None
    last_error: str | None
    last_status: int | None


@dataclass(frozen=True)
class FetchRecord:
    """One line of the fetch log."""

    feed_url: str
    at: datetime
    status: int | None
    new_items: int
    error: str | None
    warning: str | None
    elapsed_ms: int
    bytes: int


class Store:
    """The database: open it with ``Store.open(path)``; every method is one small transaction."""

    def __init__(self, db: sqlite_utils.Database):
        self.db = db

    @classmethod
    def open(cls, path: str | Path, migrations: Iterable[tuple[str, Callable]] | None = None) -> Store:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(path, timeout=30, isolation_level=None)
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

    def applied_migrations(self) -> list[str]:
        return [r["name"] for r in self.db["migrations"].rows_where(order_by="name")]

    # ------------------------------------------------------------ feeds

    def sync_feeds(self, feeds: Iterable[Feed], now: datetime) -> None:
        """Make the feeds table know every feed of feeds.yaml (name and language follow the file)."""
        with self.db.conn:
            for feed in feeds:
                self.db.conn.execute(
                    "INSERT INTO feeds (url, name, language, error_streak, added_at) VALUES (?, ?, ?, 0, ?) "
                    "ON CONFLICT(url) DO UPDATE SET name = excluded.name, language = excluded.language",
                    (feed.url, feed.name, feed.language, iso(now)),
                )

    def feed_state(self, url: str) -> FeedState:
        row = next(self.db["feeds"].rows_where("url = ?", [url]), None) or {"url": url}
        return FeedState(
            url=url,
            validators=Validators(row.get("etag"), row.get("last_modified")),
            error_streak=row.get("error_streak") or 0,
            next_attempt=from_iso(row.get("next_attempt")),
            first_polled=from_iso(row.get("first_polled")),
            last_success=from_iso(row.get("last_success")),
            last_error=row.get("last_error"),
            last_status=row.get("last_status"),
        )

    def feed_rows(self) -> list[dict]:
        return list(self.db["feeds"].rows_where(order_by="name"))

    def record_success(
        self, url: str, now: datetime, status: int, validators: Validators, next_attempt: datetime
    ) -> None:
        with self.db.conn:
            self.db.conn.execute(
                "UPDATE feeds SET last_status = ?, last_success = ?, error_streak = 0, next_attempt = ?, "
                "etag = ?, last_modified = ?, first_polled = COALESCE(first_polled, ?) WHERE url = ?",
                (status, iso(now), iso(next_attempt), validators.etag, validators.last_modified, iso(now), url),
            )

    def record_failure(self, url: str, now: datetime, status: int | None, error: str, next_attempt: datetime) -> int:
        """Count one more failure in a row; return the streak."""
        with self.db.conn:
            self.db.conn.execute(
                "UPDATE feeds SET last_status = ?, last_error = ?, last_error_at = ?, "
                "error_streak = error_streak + 1, next_attempt = ? WHERE url = ?",
                (status, error, iso(now), iso(next_attempt), url),
            )
        return self.feed_state(url).error_streak

    def log_fetch(self, record: FetchRecord) -> None:
        self.db["fetch_log"].insert(
            {
                "feed_url": record.feed_url,
                "at": iso(record.at),
                "status": record.status,
                "new_items": record.new_items,
                "error": record.error,
                "warning": record.warning,
                "elapsed_ms": record.elapsed_ms,
                "bytes": record.bytes,
            }
        )

    # ------------------------------------------------------------ items

    def add_items(self, items: Iterable[Item]) -> list[Item]:
        """Store the items not seen before (by stable id); return just those, in input order."""
        items = list(items)
        if not items:
            return []
        new: list[Item] = []
        with self.db.conn:
            for item in items:
                cur = self.db.conn.execute(
                    "INSERT OR IGNORE INTO items (id, feed_url, source, language, title, summary, text, link, "
                    "published, fetched_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        item.id,
                        item.feed_url,
                        item.source,
                        item.language,
                        item.title,
                        item.summary,
                        item.text,
                        item.link,
                        iso(item.published),
                        iso(item.fetched_at),
                    ),
                )
                if cur.rowcount:
                    new.append(item)
        return new

    def count_items(self) -> int:
        return self.db["items"].count

    def get_item(self, item_id: str) -> Item | None:
        row = next(self.db["items"].rows_where("id = ?", [item_id]), None)
        return item_from_row(row) if row else None

    def find_item(self, key: str) -> Item | None:
        """An item by id or by link."""
        row = next(self.db["items"].rows_where("id = ? OR link = ?", [key, key], limit=1), None)
        return item_from_row(row) if row else None

    def store_scores(self, rows: Iterable[dict]) -> None:
        with self.db.conn:
            for row in rows:
                self.db.conn.execute(
                    "INSERT INTO scores (item_id, score, relevant, why, excerpt, marks, model_version, scored_at) "
                    "VALUES (:item_id, :score, :relevant, :why, :excerpt, :marks, :model_version, :scored_at) "
                    "ON CONFLICT(item_id) DO UPDATE SET score = excluded.score, relevant = excluded.relevant, "
                    "why = excluded.why, excerpt = excluded.excerpt, marks = excluded.marks, "
                    "model_version = excluded.model_version, scored_at = excluded.scored_at",
                    row,
                )

    def create_alert(self, row: dict) -> int | None:
        """Insert the alert for an item once; return its id, or None when the item already had one."""
        with self.db.conn:
            cur = self.db.conn.execute(
                "INSERT OR IGNORE INTO alerts (item_id, score, why, excerpt, marks, model_version, created_at) "
                "VALUES (:item_id, :score, :why, :excerpt, :marks, :model_version, :created_at)",
                row,
            )
        return cur.lastrowid if cur.rowcount else None

    def alert_rows(self, where: str = "1", args: Iterable = (), limit: int | None = None) -> list[dict]:
        sql = (
            "SELECT alerts.id AS alert_id, alerts.score, alerts.why, alerts.excerpt, alerts.marks, "
            "alerts.model_version, alerts.created_at, items.* "
            "FROM alerts JOIN items ON items.id = alerts.item_id WHERE "
            + where
            + " ORDER BY items.published DESC"
            + (f" LIMIT {int(limit)}" if limit else "")
        )
        return [dict(r) for r in self.db.query(sql, list(args))]

    def upsert_subscriber(self, row: dict) -> None:
        columns = list(row)
        updates = ", ".join(f"{c} = excluded.{c}" for c in columns if c not in ("chat_id", "created_at"))
        with self.db.conn:
            self.db.conn.execute(
                f"INSERT INTO subscribers ({', '.join(columns)}) VALUES ({', '.join(':' + c for c in columns)}) "
                f"ON CONFLICT(chat_id) DO UPDATE SET {updates}",
                row,
            )

    def subscriber_row(self, chat_id: int) -> dict | None:
        return next(self.db["subscribers"].rows_where("chat_id = ?", [chat_id]), None)

    def subscriber_rows(self, active_only: bool = True) -> list[dict]:
        return list(self.db["subscribers"].rows_where("active = 1" if active_only else None, order_by="chat_id"))

    def add_deliveries(self, rows: Iterable[dict]) -> int:
        """Queue deliveries; one per (alert, chat) ever, so re-running a fan-out adds nothing."""
        with self.db.conn:
            before = self.db.conn.total_changes
            self.db.conn.executemany(
                "INSERT OR IGNORE INTO deliveries (alert_id, chat_id, digest, status, due_at, attempts, created_at) "
                "VALUES (:alert_id, :chat_id, :digest, 'pending', :due_at, 0, :created_at)",
                list(rows),
            )
            return self.db.conn.total_changes - before

    def due_deliveries(self, now: datetime, limit: int = 1000) -> list[dict]:
        sql = (
            "SELECT deliveries.*, subscribers.kind AS chat_kind, subscribers.ui_language FROM deliveries "
            "JOIN subscribers ON subscribers.chat_id = deliveries.chat_id "
            "WHERE deliveries.status = 'pending' AND deliveries.due_at <= ? "
            "AND (deliveries.next_try_at IS NULL OR deliveries.next_try_at <= ?) AND subscribers.active = 1 "
            "ORDER BY deliveries.due_at, deliveries.id LIMIT ?"
        )
        return [dict(r) for r in self.db.query(sql, [iso(now), iso(now), limit])]

    def mark_sent(self, ids: Iterable[int], message_id: int | None, now: datetime) -> None:
        with self.db.conn:
            self.db.conn.executemany(
                "UPDATE deliveries SET status = 'sent', message_id = ?, sent_at = ?, attempts = attempts + 1 "
                "WHERE id = ?",
                [(message_id, iso(now), i) for i in ids],
            )

    def mark_retry(self, ids: Iterable[int], next_try: datetime, error: str) -> None:
        with self.db.conn:
            self.db.conn.executemany(
                "UPDATE deliveries SET attempts = attempts + 1, next_try_at = ?, last_error = ? WHERE id = ?",
                [(iso(next_try), error, i) for i in ids],
            )

    def mark_dropped(self, ids: Iterable[int], error: str) -> None:
        with self.db.conn:
            self.db.conn.executemany(
                "UPDATE deliveries SET status = 'dropped', last_error = ? WHERE id = ?", [(error, i) for i in ids]
            )

    def set_active(self, chat_id: int, active: bool, now: datetime) -> bool:
        """(Un)subscribe a chat. Unsubscribing drops what was still queued for it: after a later /start it
        must not receive a backlog of stale alerts."""
        with self.db.conn:
            cur = self.db.conn.execute(
                "UPDATE subscribers SET active = ?, updated_at = ? WHERE chat_id = ?", (int(active), iso(now), chat_id)
            )
            if not active:
                self.db.conn.execute(
                    "UPDATE deliveries SET status = 'dropped', last_error = COALESCE(last_error, 'unsubscribed') "
                    "WHERE chat_id = ? AND status = 'pending'",
                    (chat_id,),
                )
        return bool(cur.rowcount)

    def put_label(self, row: dict) -> None:
        """One label per user per item; a later one replaces it."""
        with self.db.conn:
            self.db.conn.execute(
                "INSERT INTO labels (item_id, user_id, chat_id, label, source, is_admin, created_at) "
                "VALUES (:item_id, :user_id, :chat_id, :label, :source, :is_admin, :created_at) "
                "ON CONFLICT(item_id, user_id) DO UPDATE SET label = excluded.label, source = excluded.source, "
                "chat_id = excluded.chat_id, is_admin = excluded.is_admin, created_at = excluded.created_at",
                row,
            )

    def count(self, sql: str, args: Iterable = ()) -> int:
        return int(self.db.execute(sql, list(args)).fetchone()[0])

    def pause_feed(self, url: str, reason: str, now: datetime) -> bool:
        """Pause a feed; True when it was not paused before (so the admins are told once)."""
        with self.db.conn:
            cur = self.db.conn.execute(
                "UPDATE feeds SET paused_at = ?, paused_reason = ? WHERE url = ? AND paused_at IS NULL",
                (iso(now), reason, url),
            )
        return bool(cur.rowcount)

    def resume_feed(self, url: str, now: datetime) -> bool:
        with self.db.conn:
            cur = self.db.conn.execute(
                "UPDATE feeds SET paused_at = NULL, paused_reason = NULL, error_streak = 0, next_attempt = ? "
                "WHERE url = ?",
                (iso(now), url),
            )
        return bool(cur.rowcount)

    def paused_urls(self) -> set[str]:
        return {r["url"] for r in self.db.query("SELECT url FROM feeds WHERE paused_at IS NOT NULL")}

    # ------------------------------------------------------------ questions the other stages ask

    def recent_flagged(self, n: int) -> list[dict]:
        return [
            dict(r)
            for r in self.db.query(
                "SELECT items.title, items.link, items.source, items.published, scores.score FROM scores "
                "JOIN items ON items.id = scores.item_id WHERE scores.relevant = 1 "
                "ORDER BY items.published DESC LIMIT ?",
                [n],
            )
        ]

    def last_fetch_at(self) -> datetime | None:
        return from_iso(self.db.execute("SELECT MAX(at) FROM fetch_log").fetchone()[0])

    def failing_feeds(self) -> int:
        return self.count("SELECT COUNT(*) FROM feeds WHERE error_streak > 0")

    def alerts_since(self, since: datetime) -> int:
        return self.count("SELECT COUNT(*) FROM alerts WHERE created_at >= ?", [iso(since)])

    def alert_item_id(self, alert_id: int) -> str | None:
        row = next(self.db["alerts"].rows_where("id = ?", [alert_id]), None)
        return row["item_id"] if row else None

    def closest_unlabelled(self, threshold: float, since: datetime) -> dict | None:
        """The item fetched since ``since``, with no label yet, whose score is closest to ``threshold``."""
        rows = self.db.query(
            "SELECT items.rowid AS rowid, items.id, items.title, items.summary, items.link, items.source, "
            "scores.score FROM scores JOIN items ON items.id = scores.item_id "
            "WHERE items.fetched_at >= ? AND NOT EXISTS (SELECT 1 FROM labels WHERE labels.item_id = items.id) "
            "ORDER BY ABS(scores.score - ?) LIMIT 1",
            [iso(since), threshold],
        )
        return next((dict(r) for r in rows), None)

    def item_id_by_rowid(self, rowid: int) -> str | None:
        row = next(iter(self.db.query("SELECT id FROM items WHERE rowid = ?", [rowid])), None)
        return row["id"] if row else None

    def feed_stats(self, since: datetime) -> dict[str, dict]:
        """Per feed since ``since``: items fetched, how many flagged relevant, the last flagged one's date."""
        return {
            r["feed_url"]: dict(r)
            for r in self.db.query(
                "SELECT items.feed_url, COUNT(*) AS n, COALESCE(SUM(scores.relevant), 0) AS relevant, "
                "MAX(CASE WHEN scores.relevant = 1 THEN items.published END) AS last_relevant FROM items "
                "LEFT JOIN scores ON scores.item_id = items.id WHERE items.fetched_at >= ? GROUP BY items.feed_url",
                [iso(since)],
            )
        }

    def label_rows(self) -> list[dict]:
        return [dict(r) for r in self.db.query("SELECT * FROM labels ORDER BY created_at")]

    def labels_since(self, since: str) -> int:
        return self.count("SELECT COUNT(*) FROM labels WHERE created_at > ?", [since])

    def last_retrain_at(self) -> str | None:
        return self.db.execute("SELECT MAX(at) FROM retrains").fetchone()[0]

    def record_retrain(self, row: dict) -> None:
        self.db["retrains"].insert(row)


def item_from_row(row: dict) -> Item:
    """An ``Item`` from an items row (or a row that carries its columns)."""
    return Item(
        id=row["id"],
        feed_url=row["feed_url"],
        source=row["source"],
        language=row["language"],
        title=row["title"] or "",
        summary=row["summary"] or "",
        text=row["text"] or "",
        link=row["link"],
        published=datetime.fromisoformat(row["published"]),
        fetched_at=datetime.fromisoformat(row["fetched_at"]),
    )
