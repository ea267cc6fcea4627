"""Poll: fetch | parse | store for each feed, every feed on its own, so a broken one never stops the others.

The round streams: feeds are fetched ``concurrency`` at a time, and each document is parsed, scored and
stored as soon as its fetch completes, through a bounded queue, so memory stays flat however many feeds
there are and a slow feed delays only itself. What one document yields is written in one transaction
together with the feed's new validators: a crash before the commit leaves the feed as it was, and the next
poll fetches the same items again.

A failing feed is a value in the result (``FeedResult.error``), and it backs off exponentially.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol

import httpx

from bot.config import Config
from bot.errors import FeedError
from bot.ingest.fetch import Response, fetch, make_client
from bot.ingest.parse import parse_feed
from bot.store import Store
from bot.types import Feed, FeedResult, FeedState, FetchRecord, Item, Score

log = logging.getLogger(__name__)

LONGEST_WAIT = 366 * 86400  # seconds; a longer interval would overflow datetime arithmetic on every tick
_reported: set[tuple[str, str, str]] = set()  # bugs already logged with their traceback in this process


def next_attempt(feed: Feed, error_streak: int, now: datetime, cap: float) -> datetime:
    """When to poll again: after the feed's interval, and after a failure the first retry comes after one
    interval too (a network back in a minute is noticed in a minute); each further failure in a row
    doubles the wait, never beyond ``cap``.

    However absurd the interval, the wait is at most ``LONGEST_WAIT``: a date past the year 9999 would raise
    at every scheduler tick instead of waiting.
    """
    interval = min(feed.interval, LONGEST_WAIT)
    if error_streak <= 0:
        return now + timedelta(seconds=interval)
    delay = min(cap, interval * 2 ** min(error_streak - 1, 20))
    return now + timedelta(seconds=min(max(delay, interval), LONGEST_WAIT))


def bug_reason(feed: Feed, error: Exception) -> str:
    """The recorded reason for an exception that is not one of ours, logged with its traceback once per process
    (per feed and kind of error): it is a bug to fix, but it must not flood the log at every poll."""
    key = (feed.url, type(error).__name__, str(error)[:200])
    if key not in _reported:
        if len(_reported) >= 10_000:  # messages that vary from poll to poll must not grow this forever
            _reported.clear()
        _reported.add(key)
        log.error(
            "feed %s: unexpected %s (a bug; the feed is backed off)", feed.name, type(error).__name__, exc_info=error
        )
    return f"internal error: {type(error).__name__}: {str(error)[:200]}"


@dataclass
class Batch:
    """What one fetched document yields, ready to be written in the feed's transaction.

    items: every item the document holds.
    fresh: those the store did not hold when the document was parsed (the only ones scored).
    scores: the scores of the fresh items, by item id (empty when the stage does not score).
    warning: why the document was ill-formed although items were recovered.
    skipped: items of the document left out of ``items`` because the store already held them.
    """

    items: tuple[Item, ...]
    fresh: list[Item] = field(default_factory=list)
    scores: dict[str, Score] = field(default_factory=dict)
    warning: str | None = None
    skipped: int = 0


class Stage(Protocol):
    """What happens to a fetched document: ``prepare`` does the CPU work (parse, score) off the event loop and
    may raise; ``write`` stores the result inside the feed's transaction and says (new items, alerts)."""

    async def prepare(self, feed: Feed, response: Response, now: datetime) -> Batch: ...

    def write(self, feed: Feed, batch: Batch, first_poll: bool, now: datetime) -> tuple[int, int]: ...


class StoreItems:
    """The plain stage: parse in a worker thread, store the new items (nothing scored)."""

    def __init__(self, store: Store):
        self.store = store

    async def prepare(self, feed: Feed, response: Response, now: datetime) -> Batch:
        parsed = await asyncio.to_thread(parse_feed, response.body, feed, response.headers, now)
        return Batch(parsed.items, list(parsed.items), warning=parsed.warning)

    def write(self, feed: Feed, batch: Batch, first_poll: bool, now: datetime) -> tuple[int, int]:
        return len(self.store.add_items(batch.fresh)), 0


async def _ingest(
    feed: Feed,
    state: FeedState,
    fetched: Response | Exception,
    started: float,
    store: Store,
    config: Config,
    stage: Stage,
    now: datetime,
) -> FeedResult:
    """Parse, score and store one fetched document; whatever goes wrong becomes the feed's error."""
    status = fetched.status if isinstance(fetched, Response) else getattr(fetched, "status", None)
    size = len(fetched.body) if isinstance(fetched, Response) else 0
    try:
        if isinstance(fetched, Exception):
            raise fetched
        batch = Batch(()) if fetched.not_modified else await stage.prepare(feed, fetched, now)
        elapsed = time.monotonic() - started
        first_poll = state.first_polled is None
        with store.transaction():  # the items, their scores, alerts and deliveries, and the feed's validators
            new, alerts = stage.write(feed, batch, first_poll, now) if batch.fresh else (0, 0)
            store.record_success(
                feed.url, now, fetched.status, fetched.validators, next_attempt(feed, 0, now, config.backoff_cap)
            )
            store.log_fetch(FetchRecord(feed.url, now, status, new, None, batch.warning, int(elapsed * 1000), size))
    except Exception as e:  # noqa: BLE001 - whatever one feed causes stays with that feed
        error = e.reason if isinstance(e, FeedError) else bug_reason(feed, e)
        status = getattr(e, "status", status)
        elapsed = time.monotonic() - started
        wait = next_attempt(feed, state.error_streak + 1, now, config.backoff_cap)
        with store.transaction():
            store.record_failure(feed.url, now, status, error, wait)
            store.log_fetch(FetchRecord(feed.url, now, status, 0, error, None, int(elapsed * 1000), size))
        return FeedResult(feed, status, error=error, elapsed=elapsed)
    seen = len(batch.items) + batch.skipped
    return FeedResult(feed, status, new, alerts, seen, None, batch.warning, elapsed, first_poll)


async def poll_feeds(
    feeds: Sequence[Feed],
    store: Store,
    config: Config,
    *,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
    client: httpx.AsyncClient | None = None,
    only_due: bool = False,
    stage: Stage | None = None,
    sync: bool = True,
    consumers: int = 1,
    stop: asyncio.Event | None = None,
    done: Callable[[FeedResult], None] | None = None,
) -> list[FeedResult]:
    """Poll ``feeds`` (paused ones never; with ``only_due``, only those due) at most ``config.concurrency``
    fetches at a time; each document goes through ``stage`` (default: store the items) as soon as it arrives,
    ``consumers`` at a time. Results come back in the feeds' order.

    ``sync`` first makes the store know every feed of the list (the caller may do it only when the list
    changed). Once ``stop`` is set no fetch starts and those under way are dropped (their feeds stay due);
    the documents already fetched are still processed.
    ``done`` is told of each feed as it finishes (progress bars).
    """
    if sync:
        store.sync_feeds(feeds, now())
    states = store.pollable_states(now() if only_due else None)
    feeds = [f for f in feeds if f.url in states]
    if not feeds:  # most scheduler ticks: nothing is due, and a client (TLS context and all) would cost more
        return []
    stage = stage or StoreItems(store)
    stop = stop or asyncio.Event()
    # Fetched documents wait here for their turn: a bounded queue keeps memory flat in the number of feeds.
    queue: asyncio.Queue[tuple[Feed, Response | Exception, float] | None] = asyncio.Queue(config.concurrency)
    results: dict[str, FeedResult] = {}
    pending = iter(feeds)  # shared by the fetchers: each feed is taken once, by whichever is free

    async def fetcher(client: httpx.AsyncClient) -> None:
        for feed in pending:
            if stop.is_set():
                return
            started = time.monotonic()
            try:
                fetched: Response | Exception = await fetch(
                    client,
                    feed.url,
                    states[feed.url].validators,
                    max_bytes=config.max_bytes,
                    deadline=config.timeout * 3,
                )
            except Exception as e:  # noqa: BLE001 - a value for _ingest, which records it
                fetched = e
            await queue.put((feed, fetched, started))

    async def consume() -> None:
        while (job := await queue.get()) is not None:
            feed, fetched, started = job
            results[feed.url] = await _ingest(feed, states[feed.url], fetched, started, store, config, stage, now())
            if done is not None:
                done(results[feed.url])

    async def fetch_all(client: httpx.AsyncClient) -> None:
        # A fixed number of fetchers, not a task per feed: nothing here grows with the number of feeds.
        tasks = [asyncio.create_task(fetcher(client)) for _ in range(min(config.concurrency, len(feeds)))]
        stopping = asyncio.create_task(stop.wait())
        try:
            await asyncio.wait([stopping, asyncio.gather(*tasks)], return_when=asyncio.FIRST_COMPLETED)
        finally:
            stopping.cancel()
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    workers = [asyncio.create_task(consume()) for _ in range(max(1, consumers))]
    try:
        if client is not None:
            await fetch_all(client)
        else:
            async with make_client(config) as own:
                await fetch_all(own)
        for _ in workers:
            await queue.put(None)
        await asyncio.gather(*workers)
    finally:
        for task in workers:
            task.cancel()
    return [results[f.url] for f in feeds if f.url in results]
