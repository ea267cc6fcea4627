"""Poll: fetch | parse | store for each feed, every feed on its own, so a broken one never stops the others.

A failing feed is a value in the result (``FeedResult.error``), and it backs off exponentially.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta

import httpx

from bot.config import Config
from bot.errors import FeedError
from bot.ingest.fetch import fetch, make_client
from bot.ingest.parse import parse_feed
from bot.store import Store
from bot.types import Feed, FeedResult, FetchRecord, Item


def next_attempt(feed: Feed, error_streak: int, now: datetime, cap: float) -> datetime:
    """When to poll again: after the feed's interval, and after a failure the first retry comes after one
    interval too (a network back in a minute is noticed in a minute); each further failure in a row
    doubles the wait, never beyond ``cap``."""
    if error_streak <= 0:
        return now + timedelta(seconds=feed.interval)
    delay = min(cap, feed.interval * 2 ** min(error_streak - 1, 20))
    return now + timedelta(seconds=max(delay, feed.interval))


def is_due(state_next_attempt: datetime | None, now: datetime) -> bool:
    return state_next_attempt is None or state_next_attempt <= now


async def poll_feed(feed: Feed, client: httpx.AsyncClient, store: Store, config: Config, now: datetime) -> FeedResult:
    """Poll one feed and store what is new. Errors of the feed become ``FeedResult.error``."""
    state = store.feed_state(feed.url)
    start = time.monotonic()
    status: int | None = None
    size = 0
    try:
        response = await fetch(
            client, feed.url, state.validators, max_bytes=config.max_bytes, deadline=config.timeout * 3
        )
        status = response.status
        size = len(response.body)
        if response.not_modified:
            parsed_items: tuple[Item, ...] = ()
            warning = None
        else:
            # feedparser is pure CPU work; a thread lets other feeds' downloads go on meanwhile.
            parsed = await asyncio.to_thread(parse_feed, response.body, feed, response.headers, now)
            parsed_items, warning = parsed.items, parsed.warning
    except FeedError as e:
        status = getattr(e, "status", status)
        error = e.reason
        store.record_failure(
            feed.url, now, status, error, next_attempt(feed, state.error_streak + 1, now, config.backoff_cap)
        )
        elapsed = time.monotonic() - start
        store.log_fetch(FetchRecord(feed.url, now, status, 0, error, None, int(elapsed * 1000), size))
        return FeedResult(feed, status, error=error, elapsed=elapsed)
    new = store.add_items(parsed_items)
    store.record_success(feed.url, now, status, response.validators, next_attempt(feed, 0, now, config.backoff_cap))
    elapsed = time.monotonic() - start
    store.log_fetch(FetchRecord(feed.url, now, status, len(new), None, warning, int(elapsed * 1000), size))
    return FeedResult(
        feed,
        status,
        tuple(new),
        seen=len(parsed_items),
        warning=warning,
        elapsed=elapsed,
        first_poll=state.first_polled is None,
    )


async def poll_feeds(
    feeds: Sequence[Feed],
    store: Store,
    config: Config,
    *,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
    client: httpx.AsyncClient | None = None,
    only_due: bool = False,
    done: Callable[[FeedResult], None] | None = None,
) -> list[FeedResult]:
    """Poll ``feeds`` at most ``config.concurrency`` at a time; results come back in the feeds' order.

    With ``only_due`` a feed still backing off (or not yet at its interval) is skipped. ``done`` is told of
    each feed as it finishes (progress bars).
    """
    store.sync_feeds(feeds, now())
    if only_due:
        feeds = [f for f in feeds if is_due(store.feed_state(f.url).next_attempt, now())]
    limit = asyncio.Semaphore(config.concurrency)

    async def one(feed: Feed, client: httpx.AsyncClient) -> FeedResult:
        async with limit:
            result = await poll_feed(feed, client, store, config, now())
        if done is not None:
            done(result)
        return result

    if client is not None:
        return list(await asyncio.gather(*(one(f, client) for f in feeds)))
    async with make_client(config) as own:
        return list(await asyncio.gather(*(one(f, own) for f in feeds)))
