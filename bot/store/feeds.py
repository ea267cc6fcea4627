"""The feeds table: what the store knows of each feed between polls (validators, health, pauses) and the
fetch log."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from bot.store.base import StoreBase
from bot.types import Feed, FeedState, FetchRecord, Validators, from_iso, iso


def _state(row: dict) -> FeedState:
    return FeedState(
        url=row["url"],
        validators=Validators(row.get("etag"), row.get("last_modified")),
        error_streak=row.get("error_streak") or 0,
        next_attempt=from_iso(row.get("next_attempt")),
        first_polled=from_iso(row.get("first_polled")),
        last_success=from_iso(row.get("last_success")),
        last_error=row.get("last_error"),
        last_status=row.get("last_status"),
    )


class FeedsMixin(StoreBase):
    def sync_feeds(self, feeds: Iterable[Feed], now: datetime) -> None:
        """Make the feeds table know every feed of feeds.yaml (name and language follow the file)."""
        with self.db.atomic():
            for feed in feeds:
                self.db.conn.execute(
                    "INSERT INTO feeds (url, name, language, error_streak, added_at) VALUES (?, ?, ?, 0, ?) "
                    "ON CONFLICT(url) DO UPDATE SET name = excluded.name, language = excluded.language",
                    (feed.url, feed.name, feed.language, iso(now)),
                )

    def feed_state(self, url: str) -> FeedState:
        row = next(self.db["feeds"].rows_where("url = ?", [url]), None) or {"url": url}
        return _state(row)

    def pollable_states(self, due_by: datetime | None = None) -> dict[str, FeedState]:
        """The state of every feed that is not paused, by url, in one query; with ``due_by``, only of the feeds
        due by then (never polled, or their next attempt has come)."""
        where, args = "paused_at IS NULL", []
        if due_by is not None:
            where += " AND (next_attempt IS NULL OR next_attempt <= ?)"
            args.append(iso(due_by))
        return {row["url"]: _state(row) for row in self.db["feeds"].rows_where(where, args)}

    def feed_rows(self) -> list[dict]:
        """Every feed's row, by name: health, validators, pause."""
        return list(self.db["feeds"].rows_where(order_by="name"))

    def record_success(
        self, url: str, now: datetime, status: int, validators: Validators, next_attempt: datetime
    ) -> None:
        with self.db.atomic():
            self.db.conn.execute(
                "UPDATE feeds SET last_status = ?, last_success = ?, error_streak = 0, next_attempt = ?, "
                "etag = ?, last_modified = ?, first_polled = COALESCE(first_polled, ?) WHERE url = ?",
                (status, iso(now), iso(next_attempt), validators.etag, validators.last_modified, iso(now), url),
            )

    def record_failure(self, url: str, now: datetime, status: int | None, error: str, next_attempt: datetime) -> int:
        """Count one more failure in a row; return the streak."""
        with self.db.atomic():
            self.db.conn.execute(
                "UPDATE feeds SET last_status = ?, last_error = ?, last_error_at = ?, "
                "error_streak = error_streak + 1, next_attempt = ? WHERE url = ?",
                (status, error, iso(now), iso(next_attempt), url),
            )
        return self.feed_state(url).error_streak

    def log_fetch(self, record: FetchRecord) -> None:
        with self.db.atomic():
            self.db.conn.execute(
                "INSERT INTO fetch_log (feed_url, at, status, new_items, error, warning, elapsed_ms, bytes) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    record.feed_url,
                    iso(record.at),
                    record.status,
                    record.new_items,
                    record.error,
                    record.warning,
                    record.elapsed_ms,
                    record.bytes,
                ),
            )

    def pause_feed(self, url: str, reason: str, now: datetime) -> bool:
        """Pause a feed; True when it was not paused before (so the admins are told once)."""
        with self.db.atomic():
            cur = self.db.conn.execute(
                "UPDATE feeds SET paused_at = ?, paused_reason = ? WHERE url = ? AND paused_at IS NULL",
                (iso(now), reason, url),
            )
        return bool(cur.rowcount)

    def resume_feed(self, url: str, now: datetime) -> bool:
        with self.db.atomic():
            cur = self.db.conn.execute(
                "UPDATE feeds SET paused_at = NULL, paused_reason = NULL, error_streak = 0, next_attempt = ? "
                "WHERE url = ?",
                (iso(now), url),
            )
        return bool(cur.rowcount)

    def retry_failing_now(self, now: datetime) -> int:
        """Make every failing feed that is not paused due at once (its streak stays); return how many."""
        with self.db.atomic():
            cur = self.db.conn.execute(
                "UPDATE feeds SET next_attempt = ? WHERE error_streak > 0 AND paused_at IS NULL", (iso(now),)
            )
        return cur.rowcount

    def paused_urls(self) -> set[str]:
        return {r["url"] for r in self.db.query("SELECT url FROM feeds WHERE paused_at IS NOT NULL")}

    def failing_feeds(self) -> int:
        return int(self._scalar("SELECT COUNT(*) FROM feeds WHERE error_streak > 0"))

    def last_fetch_at(self) -> datetime | None:
        return from_iso(self._scalar("SELECT MAX(at) FROM fetch_log"))

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
