"""The outbox against a sink that records what it is given (the Telegram path is covered end to end)."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime

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
