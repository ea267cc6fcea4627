"""Decide: which items become alerts, and when each subscriber gets each alert. Pure functions of their
inputs and ``now``: no I/O, so every rule is tested by calling it.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from bot.types import Alert, Item, Plan, Score, Subscriber


def should_alert(
    score: Score, item: Item, *, floor: float, first_poll: bool, now: datetime, first_poll_window: timedelta
) -> bool:
    """Raise an alert for items at or above the lowest threshold any subscriber may choose (``floor``).

    On a feed's first poll only recent items alert: a fresh install must not flood anyone with a feed's
    backlog (older items are stored and visible in /recent).
    """
    if score.score < floor:
        return False
    return not (first_poll and item.published < now - first_poll_window)


def in_quiet_hours(subscriber: Subscriber, now: datetime) -> bool:
    if subscriber.quiet_start is None or subscriber.quiet_end is None or subscriber.quiet_start == subscriber.quiet_end:
        return False
    hour = now.astimezone(subscriber.tz).hour
    start, end = subscriber.quiet_start, subscriber.quiet_end
    return start <= hour < end if start < end else hour >= start or hour < end


def next_local_hour(now: datetime, hour: int, subscriber: Subscriber) -> datetime:
    """The next moment, after ``now``, at which the subscriber's local clock shows ``hour``:00."""
    local = now.astimezone(subscriber.tz)
    candidate = local.replace(hour=hour, minute=0, second=0, microsecond=0)
    if candidate <= local:
        candidate += timedelta(days=1)
    return candidate.astimezone(now.tzinfo)


def decide(alert: Alert, subscriber: Subscriber, thresholds: dict[str, float], now: datetime) -> Plan | None:
    """Whether ``subscriber`` gets ``alert``, and when. None: not for this subscriber."""
    if not subscriber.active:
        return None
    if alert.score < thresholds.get(subscriber.sensitivity, thresholds["normal"]):
        return None
    if subscriber.languages and alert.item.language not in subscriber.languages:
        return None
    if subscriber.mode == "hourly":
        due = (now + timedelta(hours=1)).replace(minute=0, second=0, microsecond=0)
        digest = True
    elif subscriber.mode == "daily":
        due = next_local_hour(now, subscriber.digest_hour, subscriber)
        digest = True
    else:
        due, digest = now, False
    if in_quiet_hours(subscriber, due):
        # Held through the quiet hours, then sent together with whatever else arrived meanwhile.
        due, digest = next_local_hour(due, subscriber.quiet_end, subscriber), True
    return Plan(alert.id, subscriber.chat_id, digest, due)


def for_story(plan: Plan, subscriber: Subscriber, alert: Alert, chat_has_story: bool) -> Plan:
    """A later report of a story the chat already has a message of becomes an update of that message
    ("also: ANSA, Meduza"), unless the chat asked for every report. A digest is left as it is: it lists a
    story once anyway, its reports together."""
    if alert.story_id is None or plan.digest or subscriber.every_report or not chat_has_story:
        return plan
    return replace(plan, kind="also")
