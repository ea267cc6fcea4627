"""The outbox against a sink that records what it is given (the Telegram path is covered end to end)."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta

import pytest

from bot.deliver import subscriptions
from bot.deliver.outbox import Governor, deliver_due
from bot.errors import Rejected, RetryLater
from bot.store import Store
from bot.types import Item, Plan, Score
from classifier.excerpt import Excerpt

NOW = datetime.now(UTC)


class RecordingSink:
    def __init__(self, failures: dict[int, Exception] | None = None):
        self.sent: list[tuple[int, float]] = []
        self.failures = failures or {}

    async def send(self, chat_id: int, html: str, buttons=None) -> int:
        if chat_id in self.failures:
            raise self.failures.pop(chat_id)
        self.sent.append((chat_id, time.monotonic()))
        return len(self.sent)


@pytest.fixture
def store(tmp_path):
    s = Store.open(tmp_path / "o.db")
    yield s
    s.close()


def queue(store: Store, chats: list[int], alerts: int = 1) -> None:
    for chat in chats:
        subscriptions.subscribe(store, chat, "private", "", "en", NOW)
    for n in range(alerts):
        item = Item(f"i{n}", "f", "Wire", "en", f"Story {n}", "", "", None, NOW, NOW)
        store.add_items([item])
        alert_id = store.create_alert(Score(item.id, 0.9, True, (), Excerpt("x", ()), "v"), NOW)
        store.add_deliveries([Plan(alert_id, c, False, NOW) for c in chats], NOW)


def test_the_governor_keeps_the_global_and_per_chat_limits(store):
    queue(store, [1, 2, 3, 4, 5, 6], alerts=2)
    sink = RecordingSink()
    report = asyncio.run(deliver_due(store, sink, Governor(per_second=5, private_interval=1.0)))
    assert report.sent == 12
    times = [t for _, t in sink.sent]
    assert max(sum(1 for u in times if t <= u < t + 1.0) for t in times) <= 5
    for chat in range(1, 7):
        mine = [t for c, t in sink.sent if c == chat]
        assert mine[1] - mine[0] >= 0.99
    assert asyncio.run(deliver_due(store, sink, Governor())).sent == 0  # sent once, never again


def test_several_messages_are_in_flight_but_never_two_to_one_chat(store):
    queue(store, list(range(1, 13)), alerts=3)

    class SlowSink(RecordingSink):
        def __init__(self):
            super().__init__()
            self.busy: set[int] = set()
            self.most = 0

        async def send(self, chat_id, html, buttons=None):
            assert chat_id not in self.busy, f"two messages in flight to chat {chat_id}"
            self.busy.add(chat_id)
            self.most = max(self.most, len(self.busy))
            await asyncio.sleep(0.05)  # a round trip to Telegram
            self.busy.discard(chat_id)
            return await super().send(chat_id, html, buttons)

    sink = SlowSink()
    report = asyncio.run(deliver_due(store, sink, Governor(per_second=1000, private_interval=0, in_flight=4)))
    assert report.sent == 36 and sink.most == 4
    assert sorted(c for c, _ in sink.sent) == sorted(list(range(1, 13)) * 3)


def test_one_chats_trouble_is_its_own(store):
    queue(store, [1, 2, 3])
    sink = RecordingSink({1: RetryLater(30), 2: Rejected("Bad Request: can't parse entities")})
    report = asyncio.run(deliver_due(store, sink, Governor(private_interval=0)))
    assert [c for c, _ in sink.sent] == [3]
    assert (report.sent, report.retried, report.dropped) == (1, 1, 1)
    statuses = {r["chat_id"]: r["status"] for r in store.db["deliveries"].rows}
    assert statuses == {1: "pending", 2: "dropped", 3: "sent"}


def test_unsubscribing_drops_what_was_still_queued(store):
    queue(store, [1, 2])
    store.set_active(1, False, NOW)
    sink = RecordingSink()
    asyncio.run(deliver_due(store, sink, Governor(private_interval=0)))
    subscriptions.subscribe(store, 1, "private", "", "en", NOW)  # back again: no stale backlog
    asyncio.run(deliver_due(store, sink, Governor(private_interval=0)))
    assert [c for c, _ in sink.sent] == [2]


async def test_an_unexpected_error_after_a_successful_send_is_tried_a_bounded_number_of_times(store, caplog):
    """A garbled answer from the API (the message went out, reading the answer failed) is an attempt like any
    failure: retried with backoff, logged once per attempt with its cause, then dropped with the reason; the
    other chats get their message at once and nothing is re-sent afterwards."""
    from telegram import Bot
    from tg_emulator import TelegramEmulator

    from bot.app.telegram import TelegramSink
    from bot.deliver.outbox import MAX_UNEXPECTED

    queue(store, [1, 2, 3])
    clock = [NOW]
    async with TelegramEmulator(token="1:OUT") as emu:
        for chat in (1, 2, 3):
            emu.add_user(chat)
        emu.garble("sendMessage", chat_id=2, field="date", value="soon", times=None)
        async with Bot("1:OUT", base_url=emu.url + "/bot") as bot:
            sink, governor = TelegramSink(bot), Governor(private_interval=0)
            for _ in range(MAX_UNEXPECTED + 3):  # rounds until long after every backoff
                await deliver_due(store, sink, governor, now=lambda: clock[0])
                clock[0] += timedelta(hours=1)
        assert [len(emu.sent(chat)) for chat in (1, 2, 3)] == [1, MAX_UNEXPECTED, 1]
    (row,) = store.db["deliveries"].rows_where("chat_id = 2")
    assert row["status"] == "dropped" and row["attempts"] == MAX_UNEXPECTED
    assert f"gave up after {MAX_UNEXPECTED} attempts: TypeError" in row["last_error"]
    about_chat_2 = [r for r in caplog.records if r.getMessage().startswith("chat 2:")]
    assert len(about_chat_2) == MAX_UNEXPECTED and all("TypeError" in r.getMessage() for r in about_chat_2)


def test_known_trouble_is_retried_with_backoff_and_given_up_after_the_bound(store):
    from bot.deliver.outbox import MAX_ATTEMPTS
    from bot.errors import Transient

    queue(store, [1], alerts=2)

    class Down(RecordingSink):
        async def send(self, chat_id, html, buttons=None):
            raise Transient("Bad Gateway")

    clock = [NOW]
    for _ in range(2 * MAX_ATTEMPTS + 1):  # the second message waits behind the first, then has its own tries
        asyncio.run(deliver_due(store, Down(), Governor(private_interval=0), now=lambda: clock[0]))
        clock[0] += timedelta(hours=1)
    rows = list(store.db["deliveries"].rows)
    # Each message is tried on its own: the one waiting behind a failure is held, not counted.
    assert [(r["status"], r["attempts"]) for r in rows] == [("dropped", MAX_ATTEMPTS)] * 2
    assert all(r["last_error"] == f"gave up after {MAX_ATTEMPTS} attempts: Bad Gateway" for r in rows)


class EditingSink(RecordingSink):
    def __init__(self):
        super().__init__()
        self.html: dict[int, str] = {}
        self.edits: list[tuple[int, int]] = []

    async def send(self, chat_id, html, buttons=None):
        message_id = await super().send(chat_id, html, buttons)
        self.html[message_id] = html
        return message_id

    async def edit(self, chat_id, message_id, html, buttons=None):
        self.edits.append((chat_id, message_id))
        self.html[message_id] = html
        return message_id


def story_alert(store: Store, key: str, source: str, story: int | None = None):
    from bot.types import Alert

    item = Item(key, "f", source, "en", f"Troops {key}", "", "", f"https://e.org/{key}", NOW, NOW)
    store.add_items([item])
    score = Score(item.id, 0.9, True, (), Excerpt("x", ()), "v")
    return Alert(store.create_alert(score, NOW, story), item, 0.9, (), score.excerpt, NOW, story)


def test_a_later_report_edits_the_message_a_chat_has_every_report_sends_it_a_digest_lists_the_story_once(store):
    from dataclasses import replace

    from bot.pipeline import fan_out

    thresholds = {"strict": 0.8, "normal": 0.5, "broad": 0.3}
    for chat in (1, 2, 3):
        subscriptions.subscribe(store, chat, "private", "", "en", NOW)
    store.save_subscriber(replace(store.subscriber(2), every_report=True), NOW)
    store.save_subscriber(replace(store.subscriber(3), mode="hourly"), NOW)
    sink, clock = EditingSink(), [NOW]

    def deliver():
        asyncio.run(deliver_due(store, sink, Governor(private_interval=0), now=lambda: clock[0]))

    first = story_alert(store, "a", "Yonhap")
    fan_out(store, [first], thresholds, NOW)
    deliver()
    later = story_alert(store, "b", "ANSA", story=first.id)
    fan_out(store, [later], thresholds, NOW)
    deliver()
    assert [c for c, _ in sink.sent] == [1, 2, 2]  # chat 1: no second message; chat 2: every report
    (edit,) = sink.edits
    assert edit[0] == 1 and 'also:</i> <a href="https://e.org/b">ANSA</a>' in sink.html[edit[1]]
    assert "Troops a" in sink.html[edit[1]]  # the first alert stays what the message shows
    assert 'also:</i> <a href="https://e.org/a">Yonhap</a>' in sink.html[3]

    clock[0] = NOW + timedelta(hours=2)
    deliver()
    digest = sink.html[4]
    assert digest.count("Troops ") == 1 and "ANSA" in digest
    assert {r["status"] for r in store.db["deliveries"].rows} == {"sent"}


def test_a_report_joining_a_story_whose_message_is_still_queued_is_named_in_it_when_it_goes(store):
    from bot.pipeline import fan_out

    subscriptions.subscribe(store, 1, "private", "", "en", NOW)
    thresholds = {"strict": 0.8, "normal": 0.5, "broad": 0.3}
    first = story_alert(store, "a", "Yonhap")
    fan_out(store, [first], thresholds, NOW)
    fan_out(store, [story_alert(store, "b", "ANSA", story=first.id)], thresholds, NOW)
    sink = EditingSink()
    asyncio.run(deliver_due(store, sink, Governor(private_interval=0), now=lambda: NOW))
    assert len(sink.sent) == 1 and not sink.edits
    assert "ANSA" in sink.html[1] and "Troops a" in sink.html[1]
    assert {(r["kind"], r["status"]) for r in store.db["deliveries"].rows} == {("alert", "sent"), ("also", "sent")}
