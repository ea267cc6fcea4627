"""decide(): who gets which alert, and when. Pure functions, so every rule is a call."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from bot.deliver.decide import decide, in_quiet_hours, should_alert
from bot.types import Alert, Item, Score, Subscriber
from classifier.excerpt import Excerpt

THRESHOLDS = {"strict": 0.8, "normal": 0.6, "broad": 0.3}
NOON = datetime(2025, 3, 3, 12, 0, tzinfo=UTC)


def make_alert(score: float, language: str = "en", published: datetime = NOON) -> Alert:
    item = Item("i", "f", "Wire", language, "t", "", "", None, published, published)
    return Alert(1, item, score, (), Excerpt("x"), NOON)


def test_sensitivity_and_languages():
    sub = Subscriber(1)
    assert decide(make_alert(0.7), sub, THRESHOLDS, NOON).due_at == NOON
    assert decide(make_alert(0.7), replace(sub, sensitivity="strict"), THRESHOLDS, NOON) is None
    assert decide(make_alert(0.4), replace(sub, sensitivity="broad"), THRESHOLDS, NOON) is not None
    assert decide(make_alert(0.9, "ko"), replace(sub, languages=("it", "en")), THRESHOLDS, NOON) is None
    assert decide(make_alert(0.9), replace(sub, active=False), THRESHOLDS, NOON) is None


def test_digests_hourly_and_daily_at_a_local_hour():
    hourly = decide(make_alert(0.9), Subscriber(1, mode="hourly"), THRESHOLDS, NOON + timedelta(minutes=20))
    assert hourly.digest and hourly.due_at == NOON + timedelta(hours=1)
    rome = Subscriber(1, mode="daily", digest_hour=8, timezone="Europe/Rome")
    daily = decide(make_alert(0.9), rome, THRESHOLDS, NOON)
    assert daily.digest and daily.due_at == datetime(2025, 3, 4, 7, 0, tzinfo=UTC)  # 08:00 in Rome, winter


def test_quiet_hours_wrap_midnight_and_hold_alerts_until_they_end():
    sub = Subscriber(1, quiet_start=22, quiet_end=7, timezone="Asia/Seoul")  # UTC+9
    late = datetime(2025, 3, 3, 14, 30, tzinfo=UTC)  # 23:30 in Seoul
    assert in_quiet_hours(sub, late) and not in_quiet_hours(sub, NOON.replace(hour=3))  # 12:00 in Seoul
    plan = decide(make_alert(0.9), sub, THRESHOLDS, late)
    assert plan.digest and plan.due_at == datetime(2025, 3, 3, 22, 0, tzinfo=UTC)  # 07:00 in Seoul


def test_first_poll_alerts_only_on_recent_items():
    score = Score("i", 0.9, True, (), Excerpt("x"), "v")
    window = timedelta(hours=6)
    old = make_alert(0.9, published=NOON - timedelta(hours=7)).item
    new = make_alert(0.9, published=NOON - timedelta(hours=1)).item
    assert not should_alert(score, old, floor=0.3, first_poll=True, now=NOON, first_poll_window=window)
    assert should_alert(score, new, floor=0.3, first_poll=True, now=NOON, first_poll_window=window)
    assert should_alert(score, old, floor=0.3, first_poll=False, now=NOON, first_poll_window=window)
    low = replace(score, score=0.2)
    assert not should_alert(low, new, floor=0.3, first_poll=False, now=NOON, first_poll_window=window)


def test_a_later_report_of_a_story_updates_the_chats_message_unless_it_wants_every_report():
    from bot.deliver.decide import for_story

    sub, later, first = Subscriber(1), replace(make_alert(0.9), id=2, story_id=1), make_alert(0.9)
    plan = decide(later, sub, THRESHOLDS, NOON)
    assert for_story(plan, sub, later, chat_has_story=True).kind == "also"
    assert for_story(plan, sub, later, chat_has_story=False).kind == "alert"  # news to this chat
    assert for_story(plan, replace(sub, every_report=True), later, chat_has_story=True).kind == "alert"
    assert for_story(decide(first, sub, THRESHOLDS, NOON), sub, first, chat_has_story=True).kind == "alert"
    hourly = replace(sub, mode="hourly")
    assert for_story(decide(later, hourly, THRESHOLDS, NOON), hourly, later, chat_has_story=True).kind == "alert"
