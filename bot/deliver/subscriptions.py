"""Subscriptions: who gets alerts and how they want them; subscribing, unsubscribing and each setting."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.errors import UsageError
from bot.store import Store
from bot.types import ITEM_LANGUAGES, MODES, SENSITIVITIES, Subscriber


def subscribe(
    store: Store, chat_id: int, kind: str, title: str, ui_language: str, now: datetime
) -> tuple[Subscriber, bool]:
    """Subscribe a chat (again); return it and whether it is new. Earlier settings are kept."""
    existing = store.subscriber(chat_id)
    if existing is None:
        return store.save_subscriber(Subscriber(chat_id, kind, title, ui_language), now), True
    again = replace(existing, active=True, kind=kind, title=title or existing.title)
    return store.save_subscriber(again, now), False


def unsubscribe(store: Store, chat_id: int, now: datetime) -> bool:
    return store.set_active(chat_id, False, now)


def change_setting(sub: Subscriber, key: str, value: str) -> Subscriber:
    """Apply one setting (from a button or ``/settings key value``); raise UsageError naming the usage text."""
    if key == "sens" and value in SENSITIVITIES:
        return replace(sub, sensitivity=value)
    if key == "mode" and value in MODES:
        return replace(sub, mode=value)
    if key == "lang":
        if value == "all":
            return replace(sub, languages=())
        if value in ITEM_LANGUAGES:
            langs = set(sub.languages)
            langs.symmetric_difference_update({value})
            return replace(sub, languages=tuple(x for x in ITEM_LANGUAGES if x in langs))
    if key == "story" and value in ("one", "every"):
        return replace(sub, every_report=value == "every")
    if key == "ui" and value in ("en", "it"):
        return replace(sub, ui_language=value)
    if key == "quiet":
        if value == "off":
            return replace(sub, quiet_start=None, quiet_end=None)
        parts = value.replace("-", " ").split()
        if len(parts) == 2 and all(p.isdigit() and 0 <= int(p) <= 23 for p in parts) and parts[0] != parts[1]:
            return replace(sub, quiet_start=int(parts[0]), quiet_end=int(parts[1]))
        raise UsageError("settings_quiet_usage")
    if key == "tz":
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise UsageError("settings_tz_usage") from None
        return replace(sub, timezone=value)
    if key == "hour":
        if value.isdigit() and 0 <= int(value) <= 23:
            return replace(sub, digest_hour=int(value), mode="daily")
        raise UsageError("settings_hour_usage")
    raise UsageError("settings_usage")
