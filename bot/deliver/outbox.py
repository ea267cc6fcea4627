"""Deliver: the outbox. Every (alert, chat) is a row; a row is marked sent only after Telegram took it.

One message is in flight at a time, so a crash or restart re-sends at most that one message. Telegram's
limits are kept by a small governor (about 30 messages a second overall, one a second per private chat,
20 a minute per group); a 429 pauses only the chat it names, a 403 unsubscribes that chat, network and
5xx errors retry later with backoff, and none of these holds up the other chats.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Protocol

from bot.deliver import render
from bot.errors import Blocked, Rejected, RetryLater, Transient
from bot.types import Delivery

if TYPE_CHECKING:  # the outbox is handed a store; it never opens one
    from bot.store import Store

log = logging.getLogger(__name__)


class Sink(Protocol):
    """Where alerts go: Telegram, or the terminal when no token is set."""

    async def send(self, chat_id: int, html: str, buttons: list[tuple[str, str]] | None = None) -> int | None: ...


class Governor:
    """Paces sends to Telegram's limits without holding up ready chats behind a waiting one."""

    def __init__(
        self,
        per_second: float = 30.0,
        private_interval: float = 1.0,
        group_interval: float = 3.0,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.per_second = per_second
        self.private_interval = private_interval
        self.group_interval = group_interval
        self.clock = clock
        self._recent: collections.deque[float] = collections.deque()
        self._chat_ready: dict[int, float] = {}

    def _global_ready(self, now: float) -> float:
        while self._recent and self._recent[0] <= now - 1.0:
            self._recent.popleft()
        if len(self._recent) < self.per_second:
            return now
        return self._recent[0] + 1.0

    def ready_at(self, chat_id: int) -> float:
        now = self.clock()
        return max(self._chat_ready.get(chat_id, now), self._global_ready(now))

    async def acquire(self, chat_id: int, is_group: bool) -> None:
        while (wait := self.ready_at(chat_id) - self.clock()) > 0:
            await asyncio.sleep(wait)
        now = self.clock()
        self._recent.append(now)
        self._chat_ready[chat_id] = now + (self.group_interval if is_group else self.private_interval)

    def pause(self, chat_id: int, seconds: float) -> None:
        self._chat_ready[chat_id] = max(self._chat_ready.get(chat_id, 0.0), self.clock() + seconds)


@dataclass
class OutboxReport:
    sent: int = 0
    retried: int = 0
    dropped: int = 0
    blocked_chats: list[int] = field(default_factory=list)


def _retry_delay(attempts: int) -> timedelta:
    return timedelta(seconds=min(600, 2 ** min(attempts, 10)))


def plan_messages(store: Store, rows: list[dict]) -> dict[int, collections.deque[Delivery]]:
    """Due outbox rows -> per chat, the messages to send: each instant alert alone, digests in parts."""
    alerts = store.alerts_by_id(r["alert_id"] for r in rows)
    queues: dict[int, collections.deque[Delivery]] = collections.defaultdict(collections.deque)
    digests: dict[int, list[dict]] = collections.defaultdict(list)
    for row in rows:
        alert = alerts.get(row["alert_id"])
        if alert is None:
            continue
        lang = row.get("ui_language") or "en"
        if row["digest"]:
            digests[row["chat_id"]].append(row)
        else:
            queues[row["chat_id"]].append(
                Delivery(
                    (row["id"],), row["chat_id"], render.alert_html(alert, lang), render.alert_buttons(alert.id, lang)
                )
            )
    for chat_id, chat_rows in digests.items():
        lang = chat_rows[0].get("ui_language") or "en"
        by_alert = {r["alert_id"]: r["id"] for r in chat_rows}
        chat_alerts = sorted((alerts[a] for a in by_alert), key=lambda a: a.item.published)
        for alert_ids_part, html in render.digest_messages(chat_alerts, lang):
            queues[chat_id].append(Delivery(tuple(by_alert[a] for a in alert_ids_part), chat_id, html, None))
    return queues


async def deliver_due(
    store: Store, sink: Sink, governor: Governor, now: Callable[[], datetime] = lambda: datetime.now(UTC)
) -> OutboxReport:
    """Send every due message once, one at a time, choosing next the chat that is ready soonest."""
    report = OutboxReport()
    rows = store.due_deliveries(now())
    if not rows:
        return report
    kinds = {r["chat_id"]: r.get("chat_kind") or "private" for r in rows}
    queues = plan_messages(store, rows)
    while queues:
        chat_id = min(queues, key=governor.ready_at)
        queue = queues[chat_id]
        delivery = queue.popleft()
        if not queue:
            del queues[chat_id]
        await governor.acquire(chat_id, kinds[chat_id] in ("group", "supergroup", "channel"))
        try:
            message_id = await sink.send(chat_id, delivery.html, delivery.buttons)
        except RetryLater as e:
            governor.pause(chat_id, e.seconds)
            held = [delivery, *queues.pop(chat_id, ())]
            store.mark_retry([i for d in held for i in d.ids], now() + timedelta(seconds=e.seconds), str(e))
            report.retried += len(held)
            log.warning("chat %s: Telegram asked to wait %s s", chat_id, e.seconds)
        except Blocked as e:
            held = [delivery, *queues.pop(chat_id, ())]
            store.mark_dropped([i for d in held for i in d.ids], f"blocked: {e}")
            store.set_active(chat_id, False, now())
            report.dropped += len(held)
            report.blocked_chats.append(chat_id)
            log.warning("chat %s unsubscribed: %s", chat_id, e)
        except Transient as e:
            held = [delivery, *queues.pop(chat_id, ())]
            attempts = max(r["attempts"] for r in rows if r["id"] in delivery.ids)
            store.mark_retry([i for d in held for i in d.ids], now() + _retry_delay(attempts + 1), str(e))
            report.retried += len(held)
            log.warning("chat %s: will retry (%s)", chat_id, e)
        except Rejected as e:
            store.mark_dropped(delivery.ids, f"rejected: {e}")
            report.dropped += 1
            log.error("chat %s: Telegram rejected a message: %s", chat_id, e)
        else:
            store.mark_sent(delivery.ids, message_id, now())
            report.sent += 1
    return report
