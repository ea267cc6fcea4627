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
from bot.errors import ConfigError, UsageError
from bot.ingest.discover import discover
from bot.ingest.feeds_edit import add_feed, add_feeds, remove_feed
from bot.ingest.feeds_yaml import check_interval, find_feed, format_duration, language_code, load_feeds
from bot.ingest.guard import literal_refusal
from bot.ingest.opml import read_opml
from bot.store import Store
from bot.types import DEFAULT_INTERVAL, Feed, Usefulness, from_iso


async def add(
    config: Config, url: str, name: str | None = None, language: str | None = None, interval: int | None = None
) -> tuple[Feed, int]:
    """Validate ``url`` by fetching it once and append it to feeds.yaml; return the feed and its item count."""
    try:  # the person's own values are checked before anything is fetched
        if language:
            language = language_code(language)
        if interval is not None:
            check_interval(format_duration(interval), config.min_interval)
    except ValueError as e:
        raise UsageError(str(e)) from None
    feed_url, parsed = await discover(config, url)
    if not language:
        try:
            language = language_code(parsed.language or "")
        except ValueError:
            said = f"says '{parsed.language}'" if parsed.language else "does not say its language"
            raise ConfigError(f"{feed_url} {said}: give its ISO 639-1 code (--lang it, /addfeed URL it)") from None
    feed = Feed(name or parsed.title or feed_url, feed_url, language, interval or DEFAULT_INTERVAL)
    add_feed(config.feeds_path, feed, config.min_interval)
    return feed, len(parsed.items)


def find(config: Config, which: str) -> Feed:
    """The feed of feeds.yaml whose url or name is ``which``."""
    return find_feed(config.feeds_path, which, config.min_interval)[1]


def remove(config: Config, which: str) -> Feed:
    """Take the feed whose url or name is ``which`` out of feeds.yaml."""
    return remove_feed(config.feeds_path, which, config.min_interval)


def resume(config: Config, store: Store, which: str, now: datetime) -> tuple[Feed, bool]:
    """Poll a paused feed again from the next round; return it and whether it was paused at all."""
    feed = find(config, which)
    if feed.url not in store.paused_urls():
        return feed, False
    store.resume_feed(feed.url, now)
    return feed, True


def import_opml(config: Config, path: Path, language: str | None = None) -> tuple[list[Feed], list[str]]:
    """Add every usable feed of an OPML file not yet listed, in one write; return them and the problems found.

    A bad outline is reported with its line and the others are added all the same; nothing is written when
    the file is not an OPML feed list at all. An address that is loopback, private or otherwise not public is a
    problem too, unless the configuration allows it."""
    if language:
        try:
            language = language_code(language)
        except ValueError as e:
            raise UsageError(f"--lang: {e}") from None
    feeds, problems = read_opml(path, language)
    known = {f.url: f for f in load_feeds(config.feeds_path, config.min_interval)} if config.feeds_path.exists() else {}
    names = {f.name.lower() for f in known.values()}
    added = []
    for feed in feeds:
        where = f"{path.name} line {feed.line}"
        # Names are checked once resolved, when the feed is first fetched; address literals are refused now.
        if (why := literal_refusal(urlsplit(feed.url).hostname or "", config.allowed_networks)) is not None:
            problems.append(f"{where}: {why}")
            continue
        if feed.url in known:
            problems.append(f"{where}: {feed.url} is already in {config.feeds_path.name}")
            continue
        if feed.name.lower() in names:
            problems.append(f"{where}: a feed named '{feed.name}' is already in {config.feeds_path.name}")
            continue
        known[feed.url] = feed
        names.add(feed.name.lower())
        added.append(feed)
    if added:
        add_feeds(config.feeds_path, [replace(f, line=0) for f in added], config.min_interval)
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
                from_iso(h.get("next_attempt")),
            )
        )
    return out
