"""Labels people gave items (one per user per item) and the record of retrains."""

from __future__ import annotations

from datetime import datetime

from bot.store.base import StoreBase
from bot.types import Item, iso


class LabelsMixin(StoreBase):
    def put_label(
        self, item_id: str, user_id: int, chat_id: int | None, label: int, source: str, is_admin: bool, now: datetime
    ) -> None:
        """One label per user per item; a later one replaces it."""
        with self.db.atomic():
            self._put_label(item_id, user_id, chat_id, label, source, is_admin, now)

    def _put_label(
        self, item_id: str, user_id: int, chat_id: int | None, label: int, source: str, is_admin: bool, now: datetime
    ) -> None:
        self.db.conn.execute(
            "INSERT INTO labels (item_id, user_id, chat_id, label, source, is_admin, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT(item_id, user_id) DO UPDATE SET label = excluded.label, source = excluded.source, "
            "chat_id = excluded.chat_id, is_admin = excluded.is_admin, created_at = excluded.created_at",
            (item_id, user_id, chat_id, label, source, int(is_admin), iso(now)),
        )

    def import_labels(self, items: list[Item], labels: dict[str, int], user_id: int, now: datetime) -> int:
        """An import in one transaction: the items new to the bot, then one admin label per item id; return
        how many items were new."""
        with self.db.atomic():
            created = len(self._insert_items(items))
            for item_id, label in labels.items():
                self._put_label(item_id, user_id, None, label, "import", True, now)
        return created

    def label_rows(self) -> list[dict]:
        return [dict(r) for r in self.db.query("SELECT * FROM labels ORDER BY created_at")]

    def labels_since(self, since: str) -> int:
        return int(self._scalar("SELECT COUNT(*) FROM labels WHERE created_at > ?", [since]))

    def last_retrain_at(self) -> str | None:
        return self._scalar("SELECT MAX(at) FROM retrains")

    def record_retrain(self, row: dict) -> None:
        self.db["retrains"].insert(row)
