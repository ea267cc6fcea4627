"""Discover: from an address someone gave us to the feed it means, validated by one fetch.

A feed address is taken as it is; a web page is searched for the feeds it announces with
``<link rel="alternate" type="application/rss+xml">``, and the first that works is the answer.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from html.parser import HTMLParser
from urllib.parse import urljoin

from bot.config import Config
from bot.errors import FeedError, ParseError
from bot.ingest.fetch import fetch, make_client
from bot.ingest.parse import ParsedFeed, parse_feed
from bot.types import Feed

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
                except FeedError as e:
                    errors.append(str(e))
            raise ParseError(url, "the page announces feeds, but none works: " + "; ".join(errors)) from not_a_feed
