"""Subscribers: who gets alerts and how they want them."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.store import Store, iso

SENSITIVITIES = ("strict", "normal", "broad")
MODES = ("instant", "hourly", "daily")


@dataclass(frozen=True)
class Subscriber:
    """A chat that receives alerts.

    chat_id: Telegram chat id (a user, a group or a channel).
    kind: private, group, supergroup or channel.
    title: the chat's name, for lists.
    ui_language: the bot's language in this chat (en, it, ...).
    sensitivity: strict, normal or broad, mapped to the model's thresholds.
    languages: item languages wanted; empty means all.
    mode: instant, hourly (digest every hour) or daily (digest at ``digest_hour``).
    digest_hour: local hour of the daily digest.
    quiet_start, quiet_end: local hours between which alerts are held, then sent as one digest; None = off.
    timezone: IANA name for the local hours.
    active: False after /stop or when Telegram says the bot was blocked or removed.
    """

    chat_id: int
    kind: str = "private"
    title: str = ""
    ui_language: str = "en"
    sensitivity: str = "normal"
    languages: tuple[str, ...] = ()
    mode: str = "instant"
    digest_hour: int = 8
    quiet_start: int | None = None
    quiet_end: int | None = None
    timezone: str = "UTC"
    active: bool = True

    @property
    def tz(self) -> ZoneInfo:
        try:
            return ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            return ZoneInfo("UTC")

    @property
    def is_group(self) -> bool:
        return self.kind in ("group", "supergroup")

    def row(self, now: datetime) -> dict:
        return {
            "chat_id": self.chat_id,
            "kind": self.kind,
            "title": self.title,
            "ui_language": self.ui_language,
            "sensitivity": self.sensitivity,
            "languages": ",".join(self.languages),
            "mode": "digest" if self.mode != "instant" else "instant",
            "digest": self.mode if self.mode != "instant" else "daily",
            "digest_hour": self.digest_hour,
            "quiet_start": self.quiet_start,
            "quiet_end": self.quiet_end,
            "timezone": self.timezone,
            "active": int(self.active),
            "updated_at": iso(now),
        }


def from_row(row: dict) -> Subscriber:
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
    )


def get(store: Store, chat_id: int) -> Subscriber | None:
    row = store.subscriber_row(chat_id)
    return from_row(row) if row else None


def active(store: Store) -> list[Subscriber]:
    return [from_row(r) for r in store.subscriber_rows()]


def save(store: Store, subscriber: Subscriber, now: datetime) -> Subscriber:
    row = subscriber.row(now)
    if store.subscriber_row(subscriber.chat_id) is None:
        row["created_at"] = iso(now)
    store.upsert_subscriber(row)
    return subscriber


def subscribe(
    store: Store, chat_id: int, kind: str, title: str, ui_language: str, now: datetime
) -> tuple[Subscriber, bool]:
    """Subscribe a chat (again); return it and whether it is new. Earlier settings are kept."""
    existing = get(store, chat_id)
    if existing is None:
        return save(store, Subscriber(chat_id, kind, title, ui_language), now), True
    return save(store, replace(existing, active=True, kind=kind, title=title or existing.title), now), False
