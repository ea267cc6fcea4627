"""``tieswatch run``: one process in which the scheduler polls the feeds, the pipeline classifies and queues
alerts, and the outbox delivers them through Telegram, or prints them to the terminal when no token is set.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TextIO

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.app.admin_tasks import AdminTasks
from bot.config import Config
from bot.deliver.console import CONSOLE_CHAT, ConsoleSink
from bot.deliver.outbox import Governor
from bot.deliver.subscriptions import subscribe
from bot.errors import TieswatchError
from bot.learn.score import Classifier
from bot.learn.similarity import LEXICAL
from bot.pipeline import Pipeline
from bot.store import Store

log = logging.getLogger(__name__)
HEARTBEAT = "heartbeat"  # in the data directory, touched at every scheduler tick (at most 15 s apart)

STOP_GRACE = 30.0  # seconds a stop waits for the documents already fetched to be stored, scored and queued


def poll_tick(pipeline: Pipeline) -> float:
    """How often to look for due feeds: a quarter of the shortest interval, between 1 and 15 seconds."""
    try:
        shortest = min(f.interval for f in pipeline.feeds())
    except (TieswatchError, ValueError):  # a broken file, or no feeds (min of nothing): the poll will say why
        return 15.0
    return float(min(15, max(1, shortest // 4)))


async def deliver_forever(pipeline: Pipeline, stop: asyncio.Event, wake: asyncio.Event) -> None:
    """Empty the outbox whenever a poll queued something (``wake``), and at least every second (digests,
    retries). Setting ``stop`` ends it after the round in progress; set ``wake`` too so it notices at once."""
    while not stop.is_set():
        try:
            await pipeline.deliver()
        except Exception:  # a bug must not end the bot: logged with its traceback, the next round runs
            log.exception("delivery round failed; trying again shortly")
        wake.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(wake.wait(), 1.0)


async def serve(
    config: Config,
    stop: asyncio.Event,
    *,
    console: TextIO | None = None,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> int:
    """Run until ``stop`` is set: scheduler, pipeline, outbox, and the Telegram bot when a token is set.

    ``clock`` is the time the pipeline and the outbox see (digests and quiet hours are due by it).
    """
    store = Store.open(config.db_path)
    classifier = Classifier(config.models_dir)
    model = await asyncio.to_thread(lambda: classifier.model)  # trains the bundled model on first start
    await asyncio.to_thread(LEXICAL.prepare)  # the same-story measure's corpus counts, off the event loop
    now = clock()
    app = None
    governor = Governor(in_flight=config.sends_in_flight)
    if config.telegram_token:
        from bot.app.telegram import TelegramSink, build_application, connect, disconnect

        pipeline = Pipeline(config, store, classifier, sink=None, governor=governor, now=clock)  # sink: app's bot
        tasks = AdminTasks(config, pipeline, clock)
        app = build_application(config, pipeline, tasks, now=clock)
        pipeline.sink = TelegramSink(app.bot)
        store.set_active(CONSOLE_CHAT, False, now)
    else:
        pipeline = Pipeline(config, store, classifier, ConsoleSink(console), governor=governor, now=clock)
        tasks = AdminTasks(config, pipeline, clock)
        subscribe(store, CONSOLE_CHAT, "private", "console", "en", now)
        log.info("no TELEGRAM_BOT_TOKEN set: alerts are printed here (see README to connect Telegram)")
    log.info(
        "model %s, threshold %.3f; feeds from %s; data in %s",
        model.version,
        model.threshold,
        config.feeds_path,
        config.data_dir,
    )

    retried = store.retry_failing_now(now)
    if retried:  # a restart is often the fix (the network is back): do not wait out the backoff
        log.info("%d failing feeds are tried again now", retried)
    wake = asyncio.Event()
    polling: set[asyncio.Task] = set()

    heartbeat = config.data_dir / HEARTBEAT

    async def poll() -> None:
        with contextlib.suppress(OSError):  # `tieswatch health` (the Docker HEALTHCHECK) reads its age
            heartbeat.touch()
        if stop.is_set():
            return
        task = asyncio.create_task(pipeline.poll(stop=stop))
        polling.add(task)
        try:
            report = await asyncio.shield(task)  # a stop lets the round finish what it holds (see below)
        except asyncio.CancelledError:  # the scheduler shutting down; the round itself goes on, and is awaited
            return
        except Exception:  # a bug must not end the bot: logged with its traceback, the next tick runs
            log.exception("poll failed; the next one will try again")
            return
        finally:
            polling.discard(task)
        if report.results:  # a round in which some feed was due
            log.info("%s", report.summary())
        if report.queued:
            wake.set()
        for notice in report.notices:
            await tasks.tell_admins(notice)

    async def scheduled_retrain() -> None:
        try:
            await tasks.scheduled_retrain()
        except Exception:  # a bug must not end the bot: logged with its traceback
            log.exception("scheduled retrain failed")

    scheduler = AsyncIOScheduler(timezone="UTC")
    scheduler.add_job(
        poll,
        "interval",
        seconds=poll_tick(pipeline),
        next_run_time=datetime.now(UTC),
        max_instances=1,
        coalesce=True,
        id="poll",
    )
    # The README promises a weekly retrain, or sooner once enough labels arrived; this looks every 10 minutes.
    scheduler.add_job(scheduled_retrain, "interval", minutes=10, max_instances=1, coalesce=True, id="retrain")
    scheduler.start()
    delivering = asyncio.create_task(deliver_forever(pipeline, stop, wake))
    try:
        if app is not None and not await connect(app, stop):
            return 0  # stopped before Telegram could be reached
        await stop.wait()
    finally:
        log.info("stopping")
        scheduler.shutdown(wait=False)
        stop.set()
        wake.set()
        if polling:  # no new fetch starts; what was fetched is stored, scored and queued, within the grace
            _, late = await asyncio.wait(polling, timeout=STOP_GRACE)
            for task in late:
                log.warning("the poll in progress did not finish within %g s; its feeds are polled again", STOP_GRACE)
                task.cancel()
            await asyncio.gather(*late, return_exceptions=True)
        if app is not None:
            await disconnect(app)
        await delivering
        pipeline.close()
        store.close()
    return 0


def run(config: Config) -> int:
    """Run until Ctrl-C or SIGTERM."""

    async def main() -> int:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        return await serve(config, stop)

    return asyncio.run(main())
