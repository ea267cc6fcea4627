"""Deliver: the outbox. Every (alert, chat) is a row; a row is marked sent only after Telegram took it.

One message is in flight at a time, so a crash or restart re-sends at most that one message. Telegram's
limits are kept by a small governor (about 30 messages a second overall, one a second per private chat,
20 a minute per group); a 429 pauses only the chat it names, a 403 unsubscribes that chat, network and
5xx errors retry later with backoff, and none of these holds up the other chats.

Every failure of a message, whatever its type (a bug in reading Telegram's answer included), counts as one
attempt with backoff, is logged once with its cause, and after a bounded number of attempts the message is
dropped with the reason stored: nothing is re-sent forever, and no chat waits behind another's trouble.
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
from bot.errors import Blocked, DeliveryError, Rejected, RetryLater
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


# Known trouble (network, 5xx, 429) is retried for about 40 minutes of backoff; an error we do not understand may
# come after the message went out (a garbled answer), so it is tried only a few times: each try may be a copy.
MAX_ATTEMPTS = 12
MAX_UNEXPECTED = 3


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
    rows = store.due_deliveries(now())
    if not rows:
        return OutboxReport()
    outbox = _Round(store, sink, governor, now, rows)
    while outbox.queues:
        chat_id = min(outbox.queues, key=governor.ready_at)
        delivery = outbox.next_of(chat_id)
        await governor.acquire(chat_id, outbox.is_group(chat_id))
        await outbox.send(delivery)
    return outbox.report


class _Round:
    """One delivery round: the due messages, chat by chat, and what became of each."""

    def __init__(self, store: Store, sink: Sink, governor: Governor, now: Callable[[], datetime], rows: list[dict]):
        self.store, self.sink, self.governor, self.now = store, sink, governor, now
        self.report = OutboxReport()
        self.kinds = {r["chat_id"]: r.get("chat_kind") or "private" for r in rows}
        self.attempts = {r["id"]: r["attempts"] or 0 for r in rows}
        self.queues = plan_messages(store, rows)

    def is_group(self, chat_id: int) -> bool:
        return self.kinds[chat_id] in ("group", "supergroup", "channel")

    def next_of(self, chat_id: int) -> Delivery:
        queue = self.queues[chat_id]
        delivery = queue.popleft()
        if not queue:
            del self.queues[chat_id]
        return delivery

    def rest_of(self, chat_id: int) -> list[int]:
        """The chat's messages not yet tried this round, taken out of it."""
        return [i for d in self.queues.pop(chat_id, ()) for i in d.ids]

    async def send(self, delivery: Delivery) -> None:
        """Send one message and settle its rows, whatever happens: no failure escapes to hold other chats."""
        chat_id = delivery.chat_id
        try:
            message_id = await self.sink.send(chat_id, delivery.html, delivery.buttons)
        except RetryLater as e:
            self.governor.pause(chat_id, e.seconds)
            self.failed(delivery, e, timedelta(seconds=e.seconds))
        except Blocked as e:
            self.store.mark_dropped([*delivery.ids, *self.rest_of(chat_id)], f"blocked: {e}")
            self.store.set_active(chat_id, False, self.now())
            self.report.dropped += 1
            self.report.blocked_chats.append(chat_id)
            log.warning("chat %s unsubscribed: %s", chat_id, e)
        except Rejected as e:
            self.store.mark_dropped(delivery.ids, f"rejected: {e}", attempted=True)
            self.report.dropped += 1
            log.error("chat %s: Telegram rejected a message: %s", chat_id, e)
        except Exception as e:  # Transient, or a bug met while sending: one message's trouble, never a stop
            self.failed(delivery, e)
        else:
            self.store.mark_sent(delivery.ids, message_id, self.now())
            self.report.sent += 1

    def failed(self, delivery: Delivery, error: Exception, wait: timedelta | None = None) -> None:
        """Count the attempt; retry with backoff (the chat's other messages wait with it, uncounted), or give up
        for good after the bound, with the reason stored. Logged once per attempt, with the cause."""
        chat_id = delivery.chat_id
        attempts = 1 + max(self.attempts.get(i, 0) for i in delivery.ids)
        expected = isinstance(error, DeliveryError)
        limit = MAX_ATTEMPTS if expected else MAX_UNEXPECTED
        cause = str(error) if expected else f"{type(error).__name__}: {error}"
        wait = wait or _retry_delay(attempts)
        if attempts >= limit:
            self.store.mark_dropped(delivery.ids, f"gave up after {attempts} attempts: {cause}", attempted=True)
            self.report.dropped += 1
            log.error("chat %s: gave up on a message after %d attempts; last: %s", chat_id, attempts, cause)
        else:
            self.store.mark_retry(delivery.ids, self.now() + wait, cause)
            self.report.retried += 1
            log.warning(
                "chat %s: attempt %d of %d failed (%s); next in %.0f s",
                chat_id,
                attempts,
                limit,
                cause,
                wait.total_seconds(),
                exc_info=error if not expected and attempts == 1 else None,  # a bug's traceback, once
            )
        held = self.rest_of(chat_id)
        if held:
            self.store.hold(held, self.now() + wait)
            self.report.retried += len(held)
