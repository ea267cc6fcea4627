"""Poll: fetch | parse | store for each feed, every feed on its own, so a broken one never stops the others.

A failing feed is a value in the result (``FeedResult.error``), and it backs off exponentially.
"""

from __future__ import annotations

import asyncio
import logging
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

log = logging.getLogger(__name__)

LONGEST_WAIT = 366 * 86400  # seconds; a longer interval would overflow datetime arithmetic on every tick
_reported: set[tuple[str, str, str]] = set()  # bugs already logged with their traceback in this process


def next_attempt(feed: Feed, error_streak: int, now: datetime, cap: float) -> datetime:
    """When to poll again: the feed's interval, doubled for each failure in a row, never beyond ``cap``.

    However absurd the interval, the wait is at most ``LONGEST_WAIT``: a date past the year 9999 would raise
    at every scheduler tick instead of waiting.
    """
    interval = min(feed.interval, LONGEST_WAIT)
    if error_streak <= 0:
        return now + timedelta(seconds=interval)
    delay = min(cap, interval * 2 ** min(error_streak, 20))
    return now + timedelta(seconds=min(max(delay, interval), LONGEST_WAIT))


def bug_reason(feed: Feed, error: Exception) -> str:
    """The recorded reason for an exception that is not one of ours, logged with its traceback once per process
    (per feed and kind of error): it is a bug to fix, but it must not flood the log at every poll."""
    key = (feed.url, type(error).__name__, str(error)[:200])
    if key not in _reported:
        _reported.add(key)
        log.error(
            "feed %s: unexpected %s (a bug; the feed is backed off)", feed.name, type(error).__name__, exc_info=error
        )
    return f"internal error: {type(error).__name__}: {str(error)[:200]}"


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
    except Exception as e:  # noqa: BLE001 - whatever one feed causes stays with that feed
        if isinstance(e, FeedError):
            status = getattr(e, "status", status)
            error = e.reason
        else:
            error = bug_reason(feed, e)
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
) -> list[FeedResult]:
    """Poll ``feeds`` at most ``config.concurrency`` at a time; results come back in the feeds' order.

    With ``only_due`` a feed still backing off (or not yet at its interval) is skipped.
    """
    store.sync_feeds(feeds, now())
    if only_due:
        feeds = [f for f in feeds if is_due(store.feed_state(f.url).next_attempt, now())]
    limit = asyncio.Semaphore(config.concurrency)

    async def one(feed: Feed, client: httpx.AsyncClient) -> FeedResult:
        async with limit:
            return await poll_feed(feed, client, store, config, now())

    if client is not None:
        return list(await asyncio.gather(*(one(f, client) for f in feeds)))
    async with make_client(config) as own:
        return list(await asyncio.gather(*(one(f, own) for f in feeds)))
