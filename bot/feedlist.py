"""Tuning the feed list: add (validated by one fetch, found from a web page's <link rel="alternate">),
remove, resume, import and export OPML, and how useful each feed has been. feeds.yaml stays the single
source of truth: these functions edit it in place, and the running bot reads it again at every poll.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin

from bot.config import Config
from bot.errors import ConfigError, FetchError, ParseError
from bot.feeds import Feed, add_feed, find_feed, load_feeds, remove_feed
from bot.fetch import fetch, make_client
from bot.opml import read_opml
from bot.parse import ParsedFeed, parse_feed
from bot.store import Store

_FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/rdf+xml", "application/xml", "text/xml")


class _Alternates(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: (v or "") for k, v in attrs}
        if (
            tag == "link"
            and "alternate" in a.get("rel", "").lower().split()
            and a.get("type", "").lower() in _FEED_TYPES
            and a.get("href")
        ):
            self.links.append(a["href"])


def alternates(html_text: str, base: str) -> list[str]:
    """The feed addresses a web page announces with <link rel="alternate" type="application/rss+xml">."""
    parser = _Alternates()
    parser.feed(html_text)
    return [urljoin(base, href) for href in parser.links]


async def discover(config: Config, url: str) -> tuple[str, ParsedFeed]:
    """Fetch ``url``; if it is a web page, follow its announced feeds. Returns (feed url, parsed feed)."""
    probe = Feed("probe", url, "en")
    async with make_client(config) as client:
        response = await fetch(client, url, max_bytes=config.max_bytes, deadline=config.timeout * 3)
        try:
            return response.url, parse_feed(response.body, probe, response.headers, datetime.now().astimezone())
        except ParseError as not_a_feed:
            text = response.body.decode("utf-8", "replace")
            candidates = alternates(text, response.url)
            if not candidates:
                raise ParseError(url, "neither a feed nor a page that announces one") from not_a_feed
            errors = []
            for candidate in candidates:
                try:
                    r = await fetch(client, candidate, max_bytes=config.max_bytes, deadline=config.timeout * 3)
                    return r.url, parse_feed(r.body, replace(probe, url=r.url), r.headers, datetime.now().astimezone())
                except (FetchError, ParseError) as e:
                    errors.append(str(e))
            raise ParseError(url, "the page announces feeds, but none works: " + "; ".join(errors)) from not_a_feed


async def add(
    config: Config, url: str, name: str | None = None, language: str | None = None, interval: int | None = None
) -> tuple[Feed, int]:
    """Validate ``url`` by fetching it once and append it to feeds.yaml; return the feed and its item count."""
    feed_url, parsed = await discover(config, url)
    language = (language or parsed.language or "").lower()
    if not language:
        raise ConfigError(f"{feed_url} does not say its language: give one (--lang it, /addfeed URL it)")
    feed = Feed(name or parsed.title or feed_url, feed_url, language, interval or 600)
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
    """Add every feed of an OPML file not yet listed; return the added feeds and the problems found."""
    feeds, problems = read_opml(path, language)
    known = {f.url for f in load_feeds(config.feeds_path)} if config.feeds_path.exists() else set()
    added = []
    for feed in feeds:
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


@dataclass(frozen=True)
class Usefulness:
    """A feed's last 30 days: items a day, the share flagged relevant, the last relevant item, its health."""

    feed: Feed
    items_per_day: float
    relevant_share: float
    last_relevant: datetime | None
    error_streak: int
    last_error: str | None
    paused: bool


def usefulness(store: Store, feeds: list[Feed], now: datetime, days: int = 30) -> list[Usefulness]:
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
            )
        )
    return out
