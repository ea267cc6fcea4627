"""What the command groups share: the clock, short relative times and cut texts for tables, and opening
the store for one command."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import UTC, datetime

from bot.config import Config
from bot.store import Store


def now() -> datetime:
    return datetime.now(UTC)


@contextlib.contextmanager
def opened(config: Config) -> Iterator[Store]:
    """The store for the length of one command."""
    store = Store.open(config.db_path)
    try:
        yield store
    finally:
        store.close()


def ago(t: datetime | None, now: datetime) -> str:
    if not t:
        return "never"
    seconds = int((now - t).total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit} ago"
    return f"{max(seconds, 0)}s ago"


def short(text: str | None, width: int = 60) -> str:
    if not text:
        return ""
    return text if len(text) <= width else text[: width - 1] + "…"
