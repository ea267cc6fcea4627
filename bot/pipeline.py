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
from bot.deliver.decide import decide, for_story, should_alert
from bot.deliver.outbox import Governor, OutboxReport, Sink, deliver_due
from bot.errors import TieswatchError
from bot.ingest.feeds_yaml import load_feeds
from bot.ingest.poll import poll_feeds
from bot.learn.score import Classifier
from bot.learn.similarity import LEXICAL, Similarity, find_story
from bot.store import Store
from bot.types import Alert, Feed, FeedResult, Plan, Score, Status, StoryText

log = logging.getLogger(__name__)


@dataclass
class PollReport:
    """What one poll of the feeds did."""

    results: list[FeedResult] = field(default_factory=list)
    scored: int = 0
    alerts: list[Alert] = field(default_factory=list)
    queued: int = 0
    notices: list[str] = field(default_factory=list)  # for the admins only (feeds paused)

    @property
    def new_items(self) -> int:
        return sum(len(r.new_items) for r in self.results)

    def summary(self) -> str:
        """One line for the log after a poll round: what was polled, what failed, what it led to."""
        failed = sum(1 for r in self.results if not r.ok)
        return (
            f"poll: {len(self.results)} feeds, {failed} failed, {self.new_items} new items, "
            f"{len(self.alerts)} alerts, {self.queued} deliveries queued"
        )


STORY_WINDOW = timedelta(hours=48)  # a report joins a story whose alerts are this recent


def raise_alerts(
    store: Store,
    results: Sequence[FeedResult],
    scores: dict[str, Score],
    floor: float,
    now: datetime,
    first_poll_window: timedelta,
    similarity: Similarity = LEXICAL,
) -> list[Alert]:
    """Create an alert (once per item) for each new item that deserves one. An item reporting the same event
    as an alert of the last 48 hours (``similarity``, in any language) joins that alert's story."""
    alerts = []
    stories = store.story_texts_since(now - STORY_WINDOW)
    for result in results:
        for item in result.new_items:
            score = scores[item.id]
            if not should_alert(
                score, item, floor=floor, first_poll=result.first_poll, now=now, first_poll_window=first_poll_window
            ):
                continue
            text = StoryText.of(item)
            story = find_story(text, stories, similarity)
            alert_id = store.create_alert(score, now, story)
            if alert_id is not None:
                stories.append((story or alert_id, text))
                alerts.append(Alert(alert_id, item, score.score, score.why, score.excerpt, now, story))
    return alerts


def fan_out(store: Store, alerts: Sequence[Alert], thresholds: dict[str, float], now: datetime) -> int:
    """Queue one delivery per (alert, subscriber) that ``decide`` accepts; return how many were new. A later
    report of a story goes to a chat that has the story already as an update of that message."""
    subs = store.subscribers()
    has_story = store.story_chats(a.story for a in alerts if a.story_id is not None)
    plans: list[Plan] = []
    for alert in alerts:
        for sub in subs:
            plan = decide(alert, sub, thresholds, now)
            if plan is None:
                continue
            plan = for_story(plan, sub, alert, sub.chat_id in has_story.get(alert.story, ()))
            if plan.kind == "alert" and not plan.digest:  # this chat will have the story as its own message
                has_story.setdefault(alert.story, set()).add(sub.chat_id)
            plans.append(plan)
    return store.add_deliveries(plans, now)


class Pipeline:
    """The core, assembled once per process: the store, the model in use, the outbox's sink and governor."""

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
        self.last_poll: datetime | None = None
        self._feeds: list[Feed] = []
        self._feeds_problem: str | None = None  # logged once per change, not at every poll
        self._feed_errors: dict[str, str] = {}  # url -> the last error logged for it

    def feeds(self) -> list[Feed]:
        """feeds.yaml as it is now (edits are picked up at the next poll); the last good list if it broke."""
        try:
            self._feeds = load_feeds(self.config.feeds_path, self.config.min_interval)
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
        done: Callable[[FeedResult], None] | None = None,
    ) -> PollReport:
        """fetch | parse | store | classify | decide for the feeds that are due; queue the deliveries.
        ``done`` hears of each feed as it finishes."""
        feeds = self.feeds() if feeds is None else feeds
        paused = self.store.paused_urls()
        results = await poll_feeds(
            [f for f in feeds if f.url not in paused],
            self.store,
            self.config,
            now=self.now,
            only_due=only_due,
            done=done,
        )
        now = self.now()
        self.last_poll = now
        new_items = [item for r in results for item in r.new_items]
        # Scoring is CPU work: a worker thread keeps the bot answering meanwhile; the store stays in this one.
        model = self.classifier.model  # one model for the scores and the thresholds, even if a retrain lands now
        scored = await asyncio.to_thread(self.classifier.score, new_items, model)
        self.store.store_scores(scored, now)
        scores = {s.item_id: s for s in scored}
        thresholds = self.classifier.thresholds(model)
        alerts = raise_alerts(
            self.store, results, scores, min(thresholds.values()), now, timedelta(hours=self.config.first_poll_hours)
        )
        queued = fan_out(self.store, alerts, thresholds, now)
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
        return PollReport(results, len(scores), alerts, queued, notices)

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
