"""What people do with the bot, as plain functions over the store: subscribe, stop, status, recent items,
settings, labels. The Telegram handlers and the CLI are thin callers of these.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.errors import UsageError
from bot.store import Store, iso
from bot.subscribers import MODES, SENSITIVITIES, Subscriber
from bot.texts import t

ITEM_LANGUAGES = ("it", "en", "ru", "uk", "ko", "de", "fr", "es", "pl")
LABEL_SOURCES = ("button", "command", "import", "review")


@dataclass(frozen=True)
class Recent:
    """A flagged item for /recent."""

    title: str
    link: str | None
    source: str
    published: datetime
    score: float


def unsubscribe(store: Store, chat_id: int, now: datetime) -> bool:
    return store.set_active(chat_id, False, now)


def recent(store: Store, n: int) -> list[Recent]:
    """The latest ``n`` items the model flagged, whether or not they alerted (first polls do not)."""
    rows = store.recent_flagged(n)
    return [
        Recent(r["title"], r["link"], r["source"], datetime.fromisoformat(r["published"]), r["score"]) for r in rows
    ]


def parse_count(args: list[str], default: int = 5, maximum: int = 20) -> int:
    if not args:
        return default
    if len(args) == 1 and args[0].isdigit() and 1 <= int(args[0]) <= maximum:
        return int(args[0])
    raise UsageError("recent_usage")


@dataclass(frozen=True)
class Status:
    feeds: int
    failing: int
    last_poll: datetime | None
    model: str
    threshold: float
    alerts_today: int


def status(store: Store, feeds: int, last_poll: datetime | None, model: str, threshold: float, now: datetime) -> Status:
    failing = store.failing_feeds()
    since = now.replace(hour=0, minute=0, second=0, microsecond=0)
    if last_poll is None:
        last_poll = store.last_fetch_at()
    alerts_today = store.alerts_since(since)
    return Status(feeds, failing, last_poll, model, threshold, alerts_today)


def describe(sub: Subscriber, lang: str) -> dict[str, str]:
    """The subscriber's settings in words, for /status and /settings."""
    if sub.mode == "instant":
        mode = t(lang, "mode_instant")
    elif sub.mode == "hourly":
        mode = t(lang, "mode_hourly")
    else:
        mode = t(lang, "mode_daily", hour=sub.digest_hour)
    quiet = (
        t(lang, "quiet_on", start=sub.quiet_start, end=sub.quiet_end, tz=sub.timezone)
        if sub.quiet_start is not None
        else t(lang, "quiet_off")
    )
    return {
        "sensitivity": t(lang, f"sensitivity_{sub.sensitivity}"),
        "languages": ", ".join(sub.languages) if sub.languages else t(lang, "all_languages"),
        "mode": mode,
        "quiet": quiet,
        "ui": sub.ui_language,
    }


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


def label_alert(
    store: Store, alert_id: int, user_id: int, chat_id: int, label: int, is_admin: bool, now: datetime
) -> str | None:
    """Store a user's label for the item behind an alert; return the item id (None: unknown alert)."""
    item_id = store.alert_item_id(alert_id)
    if item_id is None:
        return None
    return label_item(store, item_id, user_id, chat_id, label, "button", is_admin, now)


def label_item(
    store: Store,
    item_id: str,
    user_id: int,
    chat_id: int | None,
    label: int,
    source: str,
    is_admin: bool,
    now: datetime,
) -> str:
    if label not in (0, 1):
        raise ValueError(label)
    if source not in LABEL_SOURCES:
        raise ValueError(source)
    store.put_label(
        {
            "item_id": item_id,
            "user_id": user_id,
            "chat_id": chat_id,
            "label": label,
            "source": source,
            "is_admin": int(is_admin),
            "created_at": iso(now),
        }
    )
    return item_id


@dataclass(frozen=True)
class ReviewItem:
    """An item worth a label: its score lies close to the threshold, where a label teaches the model most."""

    rowid: int
    item_id: str
    title: str
    summary: str
    link: str | None
    source: str
    score: float


def review_next(store: Store, threshold: float, now: datetime, days: int = 14) -> ReviewItem | None:
    """The recent unlabelled item whose score is closest to the threshold."""
    row = store.closest_unlabelled(threshold, now - timedelta(days=days))
    if row is None:
        return None
    return ReviewItem(row["rowid"], row["id"], row["title"], row["summary"], row["link"], row["source"], row["score"])


def item_by_rowid(store: Store, rowid: int) -> str | None:
    return store.item_id_by_rowid(rowid)
