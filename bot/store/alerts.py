"""Alerts and the outbox: one alert per item ever, one delivery row per (alert, chat) ever, each row marked
sent only after the sink took it."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime

from bot.store.base import StoreBase
from bot.store.items import item_from_row
from bot.types import Alert, Plan, Score, iso
from classifier.excerpt import Excerpt

_BATCH = 500  # ids per IN (...) query, well under SQLite's variable limit


def _alert_from_row(row: dict) -> Alert:
    item = item_from_row(row)
    marks = tuple(tuple(m) for m in json.loads(row["marks"] or "[]"))
    return Alert(
        row["alert_id"],
        item,
        row["score"],
        tuple(json.loads(row["why"] or "[]")),
        Excerpt(row["excerpt"] or "", marks),
        datetime.fromisoformat(row["created_at"]),
        row.get("story_id"),
    )


class AlertsMixin(StoreBase):
    def create_alert(self, score: Score, now: datetime, story_id: int | None = None) -> int | None:
        """Insert the alert for an item once; return its id, or None when the item already had one.
        ``story_id``: the first alert of the story it reports on again, if any."""
        with self.db.atomic():
            cur = self.db.conn.execute(
                "INSERT OR IGNORE INTO alerts (item_id, score, why, excerpt, marks, model_version, created_at, "
                "story_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    score.item_id,
                    score.score,
                    json.dumps(list(score.why), ensure_ascii=False),
                    score.excerpt.text,
                    json.dumps([list(m) for m in score.excerpt.marks]),
                    score.model_version,
                    iso(now),
                    story_id,
                ),
            )
        return cur.lastrowid if cur.rowcount else None

    def alerts_by_id(self, ids: Iterable[int]) -> dict[int, Alert]:
        """The alerts with these ids, with their items."""
        ids = sorted(set(ids))
        alerts: dict[int, Alert] = {}
        for start in range(0, len(ids), _BATCH):
            chunk = ids[start : start + _BATCH]
            marks = ",".join("?" * len(chunk))
            rows = self.db.query(
                "SELECT alerts.id AS alert_id, alerts.score, alerts.why, alerts.excerpt, alerts.marks, "
                "alerts.model_version, alerts.created_at, alerts.story_id, items.* "
                f"FROM alerts JOIN items ON items.id = alerts.item_id WHERE alerts.id IN ({marks})",
                chunk,
            )
            for row in rows:
                alerts[row["alert_id"]] = _alert_from_row(dict(row))
        return alerts

    def alert_item_id(self, alert_id: int) -> str | None:
        row = next(self.db["alerts"].rows_where("id = ?", [alert_id]), None)
        return row["item_id"] if row else None

    def alerts_since(self, since: datetime) -> int:
        """Stories alerted since ``since`` (a later report of a story is not another alert for anyone)."""
        return int(self._scalar("SELECT COUNT(*) FROM alerts WHERE created_at >= ? AND story_id IS NULL", [iso(since)]))

    def add_deliveries(self, plans: Iterable[Plan], now: datetime) -> int:
        """Queue deliveries; one per (alert, chat) ever, so re-running a fan-out adds nothing."""
        with self.db.atomic():
            before = self.db.conn.total_changes
            self.db.conn.executemany(
                "INSERT OR IGNORE INTO deliveries (alert_id, chat_id, digest, status, due_at, attempts, created_at, "
                "kind) VALUES (?, ?, ?, 'pending', ?, 0, ?, ?)",
                [(p.alert_id, p.chat_id, int(p.digest), iso(p.due_at), iso(now), p.kind) for p in plans],
            )
            return self.db.conn.total_changes - before

    def due_deliveries(self, now: datetime, limit: int = 1000) -> list[dict]:
        """Pending outbox rows that are due, with their chat's kind and language, oldest first."""
        sql = (
            "SELECT deliveries.*, subscribers.kind AS chat_kind, subscribers.ui_language FROM deliveries "
            "JOIN subscribers ON subscribers.chat_id = deliveries.chat_id "
            "WHERE deliveries.status = 'pending' AND deliveries.due_at <= ? "
            "AND (deliveries.next_try_at IS NULL OR deliveries.next_try_at <= ?) AND subscribers.active = 1 "
            "ORDER BY deliveries.due_at, deliveries.id LIMIT ?"
        )
        return [dict(r) for r in self.db.query(sql, [iso(now), iso(now), limit])]

    def mark_sent(self, ids: Iterable[int], message_id: int | None, now: datetime) -> None:
        with self.db.atomic():
            self.db.conn.executemany(
                "UPDATE deliveries SET status = 'sent', message_id = ?, sent_at = ?, attempts = attempts + 1 "
                "WHERE id = ?",
                [(message_id, iso(now), i) for i in ids],
            )

    def mark_retry(self, ids: Iterable[int], next_try: datetime, error: str) -> None:
        """One failed attempt: count it, keep the cause, try again at ``next_try``."""
        with self.db.atomic():
            self.db.conn.executemany(
                "UPDATE deliveries SET attempts = attempts + 1, next_try_at = ?, last_error = ? WHERE id = ?",
                [(iso(next_try), error, i) for i in ids],
            )

    def hold(self, ids: Iterable[int], until: datetime) -> None:
        """Not tried, only deferred (another message of the chat failed): no attempt is counted."""
        with self.db.atomic():
            self.db.conn.executemany(
                "UPDATE deliveries SET next_try_at = ? WHERE id = ?", [(iso(until), i) for i in ids]
            )

    def mark_dropped(self, ids: Iterable[int], error: str, *, attempted: bool = False) -> None:
        """Give up on these rows for good, with the reason; ``attempted`` counts the attempt that failed."""
        with self.db.atomic():
            self.db.conn.executemany(
                "UPDATE deliveries SET status = 'dropped', last_error = ?, attempts = attempts + ? WHERE id = ?",
                [(error, int(attempted), i) for i in ids],
            )
