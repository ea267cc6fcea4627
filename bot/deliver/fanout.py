"""Raise alerts and fan them out: the decide stage's writes, inside the feed's transaction.

An item the model flags becomes an alert once (or joins the story of an alert of the last 48 hours that
reports the same event, in any language); each alert becomes one delivery per subscriber that ``decide``
accepts.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from bot.deliver.decide import decide, for_story, should_alert
from bot.learn.similarity import LEXICAL, Similarity, find_story
from bot.store import Store
from bot.types import Alert, Item, Plan, Score, StoryText, Subscriber

STORY_WINDOW = timedelta(hours=48)  # a report joins a story whose alerts are this recent


def raise_alerts(
    store: Store,
    items: Sequence[Item],
    scores: dict[str, Score],
    floor: float,
    now: datetime,
    first_poll: bool,
    first_poll_window: timedelta,
    similarity: Similarity = LEXICAL,
) -> list[Alert]:
    """Create an alert (once per item) for each new item that deserves one. An item reporting the same event
    as an alert of the last 48 hours (``similarity``, in any language) joins that alert's story."""
    alerts: list[Alert] = []
    stories = None  # read only when an item deserves an alert: most feeds' items do not
    for item in items:
        score = scores[item.id]
        if not should_alert(
            score, item, floor=floor, first_poll=first_poll, now=now, first_poll_window=first_poll_window
        ):
            continue
        if stories is None:
            stories = store.story_texts_since(now - STORY_WINDOW)
        text = StoryText.of(item)
        story = find_story(text, stories, similarity)
        alert_id = store.create_alert(score, now, story)
        if alert_id is not None:
            stories.append((story or alert_id, text))
            alerts.append(Alert(alert_id, item, score.score, score.why, score.excerpt, now, story))
    return alerts


def fan_out(
    store: Store,
    alerts: Sequence[Alert],
    thresholds: dict[str, float],
    now: datetime,
    subs: Sequence[Subscriber] | None = None,
) -> int:
    """Queue one delivery per (alert, subscriber) that ``decide`` accepts; return how many were new. A later
    report of a story goes to a chat that has the story already as an update of that message. ``subs``:
    the active subscribers, when the caller has them (a poll reads them once per round)."""
    if not alerts:
        return 0
    subs = store.subscribers() if subs is None else subs
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
