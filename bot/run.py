"""``tieswatch run`` and ``tieswatch demo``: one process in which the scheduler polls the feeds, the
pipeline classifies and queues alerts, and the outbox delivers them through Telegram, or prints them to
the terminal when no token is set.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import tempfile
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TextIO

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot import subscribers
from bot.classify import Classifier
from bot.config import Config
from bot.console import CONSOLE_CHAT, ConsoleSink
from bot.feedserver import FeedServer
from bot.operations import Operations
from bot.outbox import Governor
from bot.pipeline import Pipeline
from bot.store import Store

log = logging.getLogger(__name__)


def poll_tick(pipeline: Pipeline) -> float:
    """How often to look for due feeds: a quarter of the shortest interval, between 1 and 15 seconds."""
    try:
        shortest = min(f.interval for f in pipeline.feeds())
    except Exception:  # noqa: BLE001 - no feeds or a broken file: the poll itself will say why
        return 15.0
    return float(min(15, max(1, shortest // 4)))


async def deliver_forever(pipeline: Pipeline, stop: asyncio.Event, wake: asyncio.Event) -> None:
    """Empty the outbox whenever a poll queued something (``wake``), and at least every second (digests,
    retries). Setting ``stop`` ends it after the round in progress; set ``wake`` too so it notices at once."""
    while not stop.is_set():
        try:
            await pipeline.deliver()
        except Exception:
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
    now = clock()
    app = None
    if config.telegram_token:
        from bot.telegram_bot import TelegramSink, build_application, connect, disconnect

        pipeline = Pipeline(config, store, classifier, sink=None, now=clock)  # the sink needs the app's bot
        operations = Operations(config, pipeline, clock)
        app = build_application(config, pipeline, operations, now=clock)
        pipeline.sink = TelegramSink(app.bot)
        store.set_active(CONSOLE_CHAT, False, now)
    else:
        pipeline = Pipeline(config, store, classifier, ConsoleSink(console), now=clock)
        operations = Operations(config, pipeline, clock)
        subscribers.subscribe(store, CONSOLE_CHAT, "private", "console", "en", now)
        log.info("no TELEGRAM_BOT_TOKEN set: alerts are printed here (see README to connect Telegram)")
    log.info(
        "model %s, threshold %.3f; feeds from %s; data in %s",
        model.version,
        model.threshold,
        config.feeds_path,
        config.data_dir,
    )

    wake = asyncio.Event()

    async def poll() -> None:
        try:
            report = await pipeline.poll()
        except Exception:
            log.exception("poll failed; the next one will try again")
            return
        if report.queued:
            wake.set()
        for notice in report.notices:
            await operations.tell_admins(notice)

    async def scheduled_retrain() -> None:
        try:
            await operations.scheduled_retrain()
        except Exception:
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
        if app is not None:
            await disconnect(app)
        await delivering
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


# ---------------------------------------------------------------- demo

# Our own sample items: (feed, title, summary). The last one appears on the feed while the demo runs.
DEMO_ITEMS = [
    (
        "wire",
        "Seoul: another 3,000 North Korean troops sent to Russia's Kursk front",
        "South Korea's intelligence service told lawmakers that a fresh contingent arrived by ship in Vladivostok "
        "last week and was moved by rail towards Kursk, bringing the total deployed to about 14,000.",
    ),
    (
        "wire",
        "Central bank leaves interest rates unchanged",
        "Policymakers said inflation was easing more slowly than hoped and kept borrowing costs where they were.",
    ),
    (
        "wire",
        "Kim watches cruise missile test from new destroyer",
        "State media said the launches off the west coast tested the ship's weapons systems; Japan lodged a protest.",
    ),
    (
        "italia",
        "Mosca e Pyongyang, in vigore il trattato di mutua assistenza militare",
        "Lo scambio degli strumenti di ratifica rende operativo l'articolo 4: ciascun Paese dovrà aiutare l'altro "
        "con ogni mezzo, anche militare, in caso di aggressione.",
    ),
    (
        "italia",
        "Serie A, il Napoli vince a Roma e torna in testa",
        "Decide un gol nel finale; domenica lo scontro diretto con l'Inter.",
    ),
    (
        "italia",
        "Turisti russi a Wonsan, riapre il resort sul mar del Giappone",
        "Il primo gruppo di vacanzieri è arrivato con un volo charter da Vladivostok; i pacchetti costano circa "
        "1.400 dollari a settimana.",
    ),
    (
        "wire",
        "Japan sanctions shipping firms that carried North Korean shells to Russia",
        "Tokyo froze the assets of three companies whose cargo ships moved containers of artillery ammunition from "
        "Rajin to the Russian port of Vostochny.",
    ),
]


def demo_rss(feed: str, items: list[tuple[str, str, str]], now: datetime) -> bytes:
    from xml.sax.saxutils import escape

    entries = []
    for i, (_, title, summary) in enumerate(items):
        published = (now - timedelta(minutes=5 * (len(items) - i))).strftime("%a, %d %b %Y %H:%M:%S +0000")
        entries.append(
            f"<item><title>{escape(title)}</title><link>https://example.org/{feed}/{i}</link>"
            f"<guid>https://example.org/{feed}/{i}</guid><description>{escape(summary)}</description>"
            f"<pubDate>{published}</pubDate></item>"
        )
    return (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Demo {feed}</title>'
        f"<link>https://example.org/</link>{''.join(entries)}</channel></rss>"
    ).encode()


def demo(config: Config, stream: TextIO | None = None) -> int:
    """Serve the bundled sample feeds on loopback, run the real pipeline on them, print the alerts."""

    async def main() -> int:
        out = stream
        now = datetime.now(UTC)
        first = DEMO_ITEMS[:-1]
        with FeedServer() as server, tempfile.TemporaryDirectory(prefix="tieswatch-demo-") as tmp:
            for feed in ("wire", "italia"):
                server.put(f"/{feed}.xml", demo_rss(feed, [i for i in first if i[0] == feed], now))
            feeds_yaml = Path(tmp) / "feeds.yaml"
            feeds_yaml.write_text(
                "feeds:\n"
                f"  - name: Demo Wire\n    url: {server.url('/wire.xml')}\n    language: en\n    interval: 1s\n"
                f"  - name: Demo Italia\n    url: {server.url('/italia.xml')}\n    language: it\n    interval: 1s\n"
            )
            # The demo's items live in a scratch database; the model is the real one of the data directory.
            store = Store.open(Path(tmp) / "demo.db")
            demo_config = replace(config, feeds_path=feeds_yaml, data_dir=Path(tmp))
            classifier = Classifier(config.models_dir)
            print(f"tieswatch demo: two sample feeds served on {server.url('/')}; the model decides.", file=out)
            model = classifier.model
            print(f"model {model.version}, threshold {model.threshold:.2f}\n", file=out)
            sink = ConsoleSink(out)
            pipeline = Pipeline(demo_config, store, classifier, sink, Governor(private_interval=0.0))
            subscribers.subscribe(store, CONSOLE_CHAT, "private", "console", "en", now)
            report = await pipeline.poll(only_due=False)
            sent = (await pipeline.deliver()).sent
            print(f"first poll: {report.new_items} items, {sent} alerts at your sensitivity\n", file=out)
            print("a new item appears on the wire feed…\n", file=out)
            wire = [i for i in DEMO_ITEMS if i[0] == "wire"]
            server.put("/wire.xml", demo_rss("wire", wire, datetime.now(UTC)))
            report = await pipeline.poll(only_due=False)
            sent = (await pipeline.deliver()).sent
            print(f"second poll: {report.new_items} new item, {sent} alert", file=out)
            print(
                f"\n{sink.count} alerts printed; irrelevant items (rates, football, a missile test, tourism) "
                "were stored without alerting.",
                file=out,
            )
            store.close()
        return 0

    return asyncio.run(main())
