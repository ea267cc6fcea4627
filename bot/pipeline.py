"""The pipeline, end to end:

    fetch | parse | store | classify | decide | deliver

    bot/ingest/fetch.py | bot/ingest/parse.py | bot/store/ | bot/learn/score.py | bot/deliver/decide.py |
    bot/deliver/outbox.py

``poll`` runs the first five for the feeds that are due and queues deliveries in the outbox; ``deliver``
empties the outbox. The scheduler and the Telegram handlers (``bot/app/``) call these; nothing here knows
about them.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from bot.config import Config
from bot.cpu import Cpu
from bot.deliver.fanout import fan_out, raise_alerts
from bot.deliver.outbox import Governor, OutboxReport, Sink, deliver_due
from bot.errors import TieswatchError
from bot.ingest.feeds_yaml import load_feeds
from bot.ingest.fetch import Response
from bot.ingest.poll import Batch, poll_feeds
from bot.learn.score import Classifier
from bot.store import Store
from bot.types import Feed, FeedResult, Item, Score, Status

log = logging.getLogger(__name__)


@dataclass
class PollReport:
    """What one poll of the feeds did."""

    results: list[FeedResult] = field(default_factory=list)
    scored: int = 0
    alerts: int = 0
    queued: int = 0
    notices: list[str] = field(default_factory=list)  # for the admins only (feeds paused)

    @property
    def new_items(self) -> int:
        return sum(r.new for r in self.results)

    def summary(self) -> str:
        """One line for the log after a poll round: what was polled, what failed, what it led to."""
        failed = sum(1 for r in self.results if not r.ok)
        return (
            f"poll: {len(self.results)} feeds, {failed} failed, {self.new_items} new items, "
            f"{self.alerts} alerts, {self.queued} deliveries queued"
        )


class _Classify:
    """The poll's stage: parse and score off the event loop; store, alert and queue in the feed's transaction."""

    def __init__(self, pipeline: Pipeline):
        self.pipeline = pipeline
        self.store = pipeline.store
        self.model = pipeline.classifier.model  # one model for a round's scores and thresholds
        self.thresholds = pipeline.classifier.thresholds(self.model)
        self.subs = self.store.subscribers()
        self.scored = self.alerts = self.queued = 0

    async def prepare(self, feed: Feed, response: Response, now: datetime) -> Batch:
        cpu = self.pipeline.cpu
        # The items the feed's document repeats need no text extraction, nor scoring: the worker skips those
        # it is told of; an older one that comes back is caught by known_ids.
        recent = self.store.recent_ids(feed.url)
        parsed = await cpu.parse(response.body, feed, response.headers, now, recent)
        known = self.store.known_ids(i.id for i in parsed.items)
        fresh = [i for i in parsed.items if i.id not in known]
        if fresh:
            log.debug("feed %s: scoring %d new items", feed.name, len(fresh))
        scores = await cpu.score(self.model, self.pipeline.classifier.models_dir, fresh)
        return Batch(parsed.items, fresh, {s.item_id: s for s in scores}, parsed.warning, parsed.skipped)

    def write(self, feed: Feed, batch: Batch, first_poll: bool, now: datetime) -> tuple[int, int]:
        return self.finish(self.store.add_items(batch.fresh), batch.scores, first_poll, now)

    def finish(self, new: Sequence[Item], scores: dict[str, Score], first_poll: bool, now: datetime) -> tuple[int, int]:
        """Scores, alerts and deliveries of items just stored; inside the caller's transaction."""
        self.store.store_scores([scores[i.id] for i in new], now)
        window = timedelta(hours=self.pipeline.config.first_poll_hours)
        floor = min(self.thresholds.values())
        alerts = raise_alerts(self.store, new, scores, floor, now, first_poll, window)
        self.queued += fan_out(self.store, alerts, self.thresholds, now, self.subs)
        self.scored += len(new)
        self.alerts += len(alerts)
        return len(new), len(alerts)


class Pipeline:
    """The core, assembled once per process: the store, the model in use, the outbox's sink and governor, and
    the worker processes parsing and scoring run in (``close`` stops them)."""

    def __init__(
        self,
        config: Config,
        store: Store,
        classifier: Classifier,
        sink: Sink,
        governor: Governor | None = None,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ):
        self.config = config
        self.store = store
        self.classifier = classifier
        self.sink = sink
        self.governor = governor or Governor()
        self.now = now
        self.cpu = Cpu(config.workers)
        self.last_poll: datetime | None = None
        self._feeds: list[Feed] = []
        self._feeds_key: tuple | None = None
        self._synced: list[Feed] | None = None
        self._recovered = False
        self._feeds_problem: str | None = None  # logged once per change, not at every poll
        self._feed_errors: dict[str, str] = {}  # url -> the last error logged for it

    def feeds(self) -> list[Feed]:
        """feeds.yaml as it is now (read again only when the file changed); the last good list if it broke."""
        try:
            stat = self.config.feeds_path.stat()
            key = (stat.st_mtime_ns, stat.st_size, stat.st_ino)
        except OSError:
            key = None
        if key is not None and key == self._feeds_key:
            return self._feeds
        try:
            self._feeds = load_feeds(self.config.feeds_path, self.config.min_interval)
            self._feeds_key = key
        except TieswatchError as e:
            if not self._feeds:
                raise
            if str(e) != self._feeds_problem:
                log.error("%s cannot be used (%s); polling the last good list", self.config.feeds_path, e)
            self._feeds_problem = str(e)
            return self._feeds
        if self._feeds_problem is not None:
            log.info("%s is usable again: %d feeds", self.config.feeds_path, len(self._feeds))
            self._feeds_problem = None
        return self._feeds

    async def poll(
        self,
        feeds: Sequence[Feed] | None = None,
        *,
        only_due: bool = True,
        stop: asyncio.Event | None = None,
        done: Callable[[FeedResult], None] | None = None,
    ) -> PollReport:
        """fetch | parse | store | classify | decide for the feeds that are due; queue the deliveries.

        Each feed's items, scores, alerts and deliveries are committed together as its document is done; once
        ``stop`` is set no new fetch starts and the documents in hand are finished. ``done`` hears of each
        feed as it finishes (progress bars).
        """
        feeds = self.feeds() if feeds is None else feeds
        now = self.now()
        if feeds is not self._synced:  # the store learns of added or renamed feeds only when the list changed
            self.store.sync_feeds(feeds, now)
            self._synced = feeds
        stage = _Classify(self)
        if not self._recovered:
            await self.finish_unscored(stage)
        results = await poll_feeds(
            feeds,
            self.store,
            self.config,
            now=self.now,
            only_due=only_due,
            stage=stage,
            sync=False,
            consumers=self.config.workers + 1,
            stop=stop,
            done=done,
        )
        now = self.now()
        self.last_poll = now
        notices = []
        for r in results:
            if r.error:
                if self._feed_errors.get(r.feed.url) != r.error:  # once per change, not at every retry
                    log.warning("feed %s: %s", r.feed.name, r.error)
                self._feed_errors[r.feed.url] = r.error
                notice = self._pause_if_hopeless(r, now)
                if notice:
                    notices.append(notice)
            elif self._feed_errors.pop(r.feed.url, None) is not None:
                log.info("feed %s works again", r.feed.name)
        if stage.scored:
            log.info("%d new items, %d alerts, %d deliveries queued", stage.scored, stage.alerts, stage.queued)
        return PollReport(results, stage.scored, stage.alerts, stage.queued, notices)

    async def finish_unscored(self, stage: _Classify | None = None) -> int:
        """Score, alert and queue the items a crash (or an older version) left stored without a score; only
        recent ones alert, as on a first poll. Returns how many were finished."""
        stage = stage or _Classify(self)
        done = 0
        while items := self.store.unscored_items():
            scores = await self.cpu.score(stage.model, self.classifier.models_dir, items)
            now = self.now()
            with self.store.transaction():
                stage.finish(items, {s.item_id: s for s in scores}, True, now)
            done += len(items)
        self._recovered = True
        if done:
            log.info("finished %d items a previous run had stored without scoring", done)
        return done

    def close(self) -> None:
        """Stop the worker processes."""
        self.cpu.close()

    def _pause_if_hopeless(self, result: FeedResult, now: datetime) -> str | None:
        streak = self.store.feed_state(result.feed.url).error_streak
        if streak < self.config.pause_after:
            return None
        reason = f"{streak} failures in a row; last: {result.error}"
        if not self.store.pause_feed(result.feed.url, reason, now):
            return None  # already paused: the admins were told
        log.warning("feed %s paused: %s", result.feed.name, reason)
        return (
            f"Feed paused: {result.feed.name} ({result.feed.url}) – {reason}. "
            f"Resume with /resume {result.feed.name} or `tieswatch feeds resume`."
        )

    def status(self, now: datetime) -> Status:
        """What /status tells: feeds, failing feeds, the last poll, the model, alerts since midnight UTC."""
        model = self.classifier.model
        try:
            feeds = len(self.feeds())
        except TieswatchError:  # a broken feeds.yaml must not break /status; the poll's log says why
            feeds = 0
        since = now.replace(hour=0, minute=0, second=0, microsecond=0)
        return Status(
            feeds,
            self.store.failing_feeds(),
            self.last_poll or self.store.last_fetch_at(),
            model.version,
            model.threshold,
            self.store.alerts_since(since),
        )

    async def deliver(self) -> OutboxReport:
        """Send what the outbox holds that is due."""
        return await deliver_due(self.store, self.sink, self.governor, self.now)
