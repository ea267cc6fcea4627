"""Named, append-only migrations: a database records which names it has applied; a change of schema is a
new entry at the end of ``MIGRATIONS``, never an edit of an old one.
"""

from __future__ import annotations

from collections.abc import Callable

import sqlite_utils


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


def _m004_items_search(db: sqlite_utils.Database) -> None:
    # FTS5 over the items, kept current by triggers; built here from the items already stored. unicode61 folds
    # case and drops diacritics in every script (Latin, Cyrillic, Hangul). sqlite-utils runs the DDL as a
    # script, which commits on its own; replace=True makes a half-done step safe to run again.
    db["items"].enable_fts(
        ["title", "summary", "text"],
        fts_version="FTS5",
        create_triggers=True,
        tokenize="unicode61 remove_diacritics 2",
        replace=True,
    )
    db["searches"].create({"id": int, "chat_id": int, "words": str, "created_at": str}, pk="id", if_not_exists=True)


def _m005_stories(db: sqlite_utils.Database) -> None:
    # An alert that reports the same event as an earlier one points at the story's first alert; its outbox
    # rows are then updates ("also: ...") of the message a chat already has, unless the chat wants every report.
    db["alerts"].add_column("story_id", int)
    db["alerts"].create_index(["story_id"])
    db["deliveries"].add_column("kind", str, not_null_default="alert")
    db["subscribers"].add_column("every_report", int, not_null_default=0)


MIGRATIONS: list[tuple[str, Callable[[sqlite_utils.Database], None]]] = [
    ("001_feeds_items_fetch_log", _m001_feeds_items_fetch_log),
    ("002_scores_alerts_subscribers_deliveries_labels", _m002_scores_alerts_subscribers_deliveries_labels),
    ("003_feed_pause_and_retrains", _m003_feed_pause_and_retrains),
    ("004_items_search", _m004_items_search),
    ("005_stories", _m005_stories),
]
