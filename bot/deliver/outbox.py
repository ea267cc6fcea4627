"""Deliver: the outbox. Every (alert, chat) is a row; a row is marked sent only after Telegram took it.

Several messages are in flight at once (enough to reach Telegram's rate at a real network's round trip), but
never two to one chat, so a crash or restart re-sends at most one message per chat. Telegram's limits are
kept by a small governor (just under 30 messages a second overall, one a second per private chat, 20 a
minute per group or channel); a 429 pauses only the chat it names, a 403 unsubscribes that chat, network and
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

from bot.deliver.compose import plan_messages
from bot.errors import Blocked, DeliveryError, Rejected, RetryLater
from bot.types import Delivery

if TYPE_CHECKING:  # the outbox is handed a store; it never opens one
    from bot.store import Store

log = logging.getLogger(__name__)


class Sink(Protocol):
    """Where alerts go: Telegram, or the terminal when no token is set."""

    async def send(self, chat_id: int, html: str, buttons: list[tuple[str, str]] | None = None) -> int | None: ...

    async def edit(
        self, chat_id: int, message_id: int, html: str, buttons: list[tuple[str, str]] | None = None
    ) -> int | None:
        """Replace the text of a message already sent (a story's sources grow in place); an edit that
        changes nothing is a success."""


# Telegram allows about 30 messages a second to different chats; we stay a little under it, because our clock
# and the moment a request reaches Telegram differ by the network's jitter.
PER_SECOND = 28.0
# Enough messages in flight to reach that rate at a 100-200 ms round trip (30/s x 0.2 s = 6), with room.
IN_FLIGHT = 8


class Governor:
    """Paces sends to Telegram's limits without holding up ready chats behind a waiting one.

    per_second: messages a second overall, evenly spaced.
    private_interval, group_interval: seconds between two messages to one private chat (1/s), to one group or
        channel (3 s: 20 a minute).
    in_flight: messages sent at once, each to a different chat (never two to one chat: a crash then re-sends
        at most one message per chat).
    """

    def __init__(
        self,
        per_second: float = PER_SECOND,
        private_interval: float = 1.0,
        group_interval: float = 3.0,
        in_flight: int = IN_FLIGHT,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.per_second = per_second
        self.private_interval = private_interval
        self.group_interval = group_interval
        self.in_flight = max(1, in_flight)
        self.clock = clock
        self._next = float("-inf")  # the next slot on an even grid of 1/per_second
        self._recent: collections.deque[float] = collections.deque()  # sends of the last second
        self._chat_ready: dict[int, float] = {}

    def _global_ready(self, now: float) -> float:
        # Evenly spaced rather than in bursts: a burst at the end of one second and the next at the start of the
        # following one reach Telegram closer together than they left (the first burst's new connections are
        # slower). The sliding window on top keeps any one second of ours within per_second.
        while self._recent and self._recent[0] <= now - 1.0:
            self._recent.popleft()
        full = self._recent[0] + 1.0 if len(self._recent) >= self.per_second else now
        return max(now, self._next, full)

    def ready_at(self, chat_id: int) -> float:
        now = self.clock()
        return max(self._chat_ready.get(chat_id, now), self._global_ready(now))

    def take(self, chat_id: int, is_group: bool) -> None:
        """Record a send to ``chat_id`` now (the caller waited until ``ready_at``)."""
        now = self.clock()
        # The next slot stays on the grid when this send woke a little late, so small delays do not add up and
        # slow the whole fan-out; after a longer pause the grid starts again from now (no burst to catch up).
        interval = 1.0 / self.per_second
        self._next = (self._next if now - self._next <= interval else now) + interval
        self._recent.append(now)
        self._chat_ready[chat_id] = now + (self.group_interval if is_group else self.private_interval)

    async def acquire(self, chat_id: int, is_group: bool) -> None:
        """Wait until a message may go to ``chat_id``, and record it."""
        while (wait := self.ready_at(chat_id) - self.clock()) > 0:
            await asyncio.sleep(wait)
        self.take(chat_id, is_group)

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


async def deliver_due(
    store: Store, sink: Sink, governor: Governor, now: Callable[[], datetime] = lambda: datetime.now(UTC)
) -> OutboxReport:
    """Send every due message once: up to ``governor.in_flight`` at a time, each to a different chat, the next
    one always to the idle chat that is ready soonest."""
    rows = store.due_deliveries(now())
    if not rows:
        return OutboxReport()
    outbox = _Round(store, sink, governor, now, rows)
    running: dict[int, asyncio.Task[None]] = {}  # chat -> its one message in flight
    try:
        while outbox.queues or running:
            idle = [c for c in outbox.queues if c not in running]
            wait = None
            if idle and len(running) < governor.in_flight:
                chat_id = min(idle, key=governor.ready_at)
                wait = governor.ready_at(chat_id) - governor.clock()
                if wait <= 0:
                    governor.take(chat_id, outbox.is_group(chat_id))
                    running[chat_id] = asyncio.create_task(outbox.send(outbox.next_of(chat_id)))
                    continue
            if not running:
                await asyncio.sleep(wait)
                continue
            done, _ = await asyncio.wait(running.values(), timeout=wait, return_when=asyncio.FIRST_COMPLETED)
            for chat_id in [c for c, task in running.items() if task in done]:
                running.pop(chat_id).result()  # send() settles every failure; what is left here is a bug
    finally:
        if running:  # a bug in one send: let the others finish and settle their rows before it propagates
            await asyncio.gather(*running.values(), return_exceptions=True)
    return outbox.report


class _Round:
    """One delivery round: the due messages, chat by chat, and what became of each."""

    def __init__(self, store: Store, sink: Sink, governor: Governor, now: Callable[[], datetime], rows: list[dict]):
        self.store, self.sink, self.governor, self.now = store, sink, governor, now
        self.report = OutboxReport()
        self.kinds = {r["chat_id"]: r.get("chat_kind") or "private" for r in rows}
        self.attempts = {r["id"]: r["attempts"] or 0 for r in rows}
        self.queues, settled = plan_messages(store, rows)
        if settled:  # updates of a message still to be sent: it will name them when it goes
            store.mark_sent(settled, None, now())

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
            if delivery.edit is None:
                message_id = await self.sink.send(chat_id, delivery.html, delivery.buttons)
            else:
                message_id = await self.sink.edit(chat_id, delivery.edit, delivery.html, delivery.buttons)
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
