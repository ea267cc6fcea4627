"""Subscribers: the chats that receive alerts and how each wants them."""

from __future__ import annotations

from datetime import datetime

from bot.store.base import StoreBase
from bot.types import Subscriber, iso


def _to_row(sub: Subscriber, now: datetime) -> dict:
    # The table keeps "digest" mode and its period apart (a schema of migration 002); Subscriber has one mode.
    return {
        "chat_id": sub.chat_id,
        "kind": sub.kind,
        "title": sub.title,
        "ui_language": sub.ui_language,
        "sensitivity": sub.sensitivity,
        "languages": ",".join(sub.languages),
        "mode": "digest" if sub.mode != "instant" else "instant",
        "digest": sub.mode if sub.mode != "instant" else "daily",
        "digest_hour": sub.digest_hour,
        "quiet_start": sub.quiet_start,
        "quiet_end": sub.quiet_end,
        "timezone": sub.timezone,
        "active": int(sub.active),
        "every_report": int(sub.every_report),
        "updated_at": iso(now),
    }


def _from_row(row: dict) -> Subscriber:
    mode = row.get("digest") if row.get("mode") == "digest" else "instant"
    return Subscriber(
        chat_id=row["chat_id"],
        kind=row.get("kind") or "private",
        title=row.get("title") or "",
        ui_language=row.get("ui_language") or "en",
        sensitivity=row.get("sensitivity") or "normal",
        languages=tuple(x for x in (row.get("languages") or "").split(",") if x),
        mode=mode or "instant",
        digest_hour=row.get("digest_hour") if row.get("digest_hour") is not None else 8,
        quiet_start=row.get("quiet_start"),
        quiet_end=row.get("quiet_end"),
        timezone=row.get("timezone") or "UTC",
        active=bool(row.get("active", 1)),
        every_report=bool(row.get("every_report")),
    )


class SubscribersMixin(StoreBase):
    def subscriber(self, chat_id: int) -> Subscriber | None:
        row = next(self.db["subscribers"].rows_where("chat_id = ?", [chat_id]), None)
        return _from_row(row) if row else None

    def subscribers(self, active_only: bool = True) -> list[Subscriber]:
        rows = self.db["subscribers"].rows_where("active = 1" if active_only else None, order_by="chat_id")
        return [_from_row(r) for r in rows]

    def save_subscriber(self, sub: Subscriber, now: datetime) -> Subscriber:
        """Insert or update a subscriber; its creation time is kept from the first save."""
        row = _to_row(sub, now)
        row["created_at"] = iso(now)
        columns = list(row)
        updates = ", ".join(f"{c} = excluded.{c}" for c in columns if c not in ("chat_id", "created_at"))
        with self.db.atomic():
            self.db.conn.execute(
                f"INSERT INTO subscribers ({', '.join(columns)}) VALUES ({', '.join(':' + c for c in columns)}) "
                f"ON CONFLICT(chat_id) DO UPDATE SET {updates}",
                row,
            )
        return sub

    def set_active(self, chat_id: int, active: bool, now: datetime) -> bool:
        """(Un)subscribe a chat. Unsubscribing drops what was still queued for it: after a later /start it
        must not receive a backlog of stale alerts."""
        with self.db.atomic():
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
