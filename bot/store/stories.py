"""Stories: alerts that report the same event, grouped under the story's first alert, and the message each
chat has of a story (the one a later report is added to)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from bot.store.base import StoreBase
from bot.store.items import item_from_row
from bot.types import Alert, StoryText, iso


def _marks(n: int) -> str:
    return ",".join("?" * n)


class StoriesMixin(StoreBase):
    def story_texts_since(self, since: datetime) -> list[tuple[int, StoryText]]:
        """(story, text) of every alert raised since ``since``, oldest first: what a new item may report again."""
        rows = self.db.query(
            "SELECT COALESCE(alerts.story_id, alerts.id) AS story, items.* FROM alerts "
            "JOIN items ON items.id = alerts.item_id WHERE alerts.created_at >= ? ORDER BY alerts.id",
            [iso(since)],
        )
        return [(r["story"], StoryText.of(item_from_row(r))) for r in rows]

    def story_alerts(self, stories: Iterable[int]) -> dict[int, list[Alert]]:
        """Every alert of these stories, the first one first."""
        stories = sorted(set(stories))
        if not stories:
            return {}
        marks = _marks(len(stories))
        ids = [
            r["id"]
            for r in self.db.query(f"SELECT id FROM alerts WHERE id IN ({marks}) OR story_id IN ({marks})", stories * 2)
        ]
        grouped: dict[int, list[Alert]] = {s: [] for s in stories}
        for alert in sorted(self.alerts_by_id(ids).values(), key=lambda a: a.id):
            grouped[alert.story].append(alert)
        return grouped

    def story_chats(self, stories: Iterable[int]) -> dict[int, set[int]]:
        """Per story, the chats that have, or are about to get, a message of it of their own (an instant alert
        that was not dropped)."""
        stories = sorted(set(stories))
        found: dict[int, set[int]] = {s: set() for s in stories}
        if not stories:
            return found
        rows = self.db.query(
            "SELECT COALESCE(alerts.story_id, alerts.id) AS story, deliveries.chat_id FROM deliveries "
            "JOIN alerts ON alerts.id = deliveries.alert_id WHERE deliveries.kind = 'alert' AND deliveries.digest = 0 "
            f"AND deliveries.status != 'dropped' AND COALESCE(alerts.story_id, alerts.id) IN ({_marks(len(stories))})",
            stories,
        )
        for r in rows:
            found[r["story"]].add(r["chat_id"])
        return found

    def story_message(self, chat_id: int, story: int) -> dict | None:
        """The chat's own message of a story: its first instant alert of the story that was not dropped, as
        (alert_id, status, message_id); None when the chat has none."""
        rows = self.db.query(
            "SELECT deliveries.alert_id, deliveries.status, deliveries.message_id FROM deliveries "
            "JOIN alerts ON alerts.id = deliveries.alert_id WHERE deliveries.chat_id = ? AND deliveries.kind = 'alert' "
            "AND deliveries.digest = 0 AND deliveries.status != 'dropped' AND COALESCE(alerts.story_id, alerts.id) = ? "
            "ORDER BY deliveries.id LIMIT 1",
            [chat_id, story],
        )
        row = next(iter(rows), None)
        return dict(row) if row else None
