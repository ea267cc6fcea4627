"""Tuning the feed list: add (validated by one fetch, see ``discover``), remove, resume, import OPML,
and how useful each feed has been. feeds.yaml stays the single
source of truth: these functions edit it in place, and the running bot reads it again at every poll.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

from bot.config import Config
from bot.errors import ConfigError
from bot.ingest.discover import discover
from bot.ingest.feeds_yaml import add_feed, find_feed, load_feeds, remove_feed
from bot.ingest.guard import literal_refusal
from bot.ingest.opml import read_opml
from bot.store import Store
from bot.types import DEFAULT_INTERVAL, Feed, Usefulness, from_iso


async def add(
    config: Config, url: str, name: str | None = None, language: str | None = None, interval: int | None = None
) -> tuple[Feed, int]:
    """Validate ``url`` by fetching it once and append it to feeds.yaml; return the feed and its item count."""
    feed_url, parsed = await discover(config, url)
    language = (language or parsed.language or "").lower()
    if not language:
        raise ConfigError(f"{feed_url} does not say its language: give one (--lang it, /addfeed URL it)")
    feed = Feed(name or parsed.title or feed_url, feed_url, language, interval or DEFAULT_INTERVAL)
    add_feed(config.feeds_path, feed)
    return feed, len(parsed.items)


def find(config: Config, which: str) -> Feed:
    return find_feed(config.feeds_path, which)[1]


def remove(config: Config, which: str) -> Feed:
    return remove_feed(config.feeds_path, which)


def resume(config: Config, store: Store, which: str, now: datetime) -> Feed:
    feed = find(config, which)
    store.resume_feed(feed.url, now)
    return feed


def import_opml(config: Config, path: Path, language: str | None = None) -> tuple[list[Feed], list[str]]:
    """Add every feed of an OPML file not yet listed; return the added feeds and the problems found (an address
    that is loopback, private or otherwise not public is one, unless the configuration allows it)."""
    feeds, problems = read_opml(path, language)
    known = {f.url for f in load_feeds(config.feeds_path)} if config.feeds_path.exists() else set()
    added = []
    for feed in feeds:
        # Names are checked once resolved, when the feed is first fetched; address literals are refused now.
        if (why := literal_refusal(urlsplit(feed.url).hostname or "", config.allowed_networks)) is not None:
            problems.append(f"{path.name} line {feed.line}: {why}")
            continue
        if feed.url in known:
            problems.append(f"{path.name} line {feed.line}: {feed.url} is already in {config.feeds_path.name}")
            continue
        try:
            add_feed(config.feeds_path, replace(feed, line=0))
        except ConfigError as e:
            problems.append(f"{path.name} line {feed.line}: {e}")
            continue
        known.add(feed.url)
        added.append(feed)
    return added, problems


def usefulness(store: Store, feeds: list[Feed], now: datetime, days: int = 30) -> list[Usefulness]:
    """Each feed's last ``days``: volume, share flagged, last relevant item, and its health."""
    stats = store.feed_stats(now - timedelta(days=days))
    health = {r["url"]: r for r in store.feed_rows()}
    out = []
    for feed in feeds:
        s, h = stats.get(feed.url, {}), health.get(feed.url, {})
        n = s.get("n", 0)
        last = s.get("last_relevant")
        out.append(
            Usefulness(
                feed,
                n / days,
                (s.get("relevant", 0) / n) if n else 0.0,
                datetime.fromisoformat(last) if last else None,
                h.get("error_streak") or 0,
                h.get("last_error"),
                bool(h.get("paused_at")),
                from_iso(h.get("last_success")),
            )
        )
    return out
