"""Where the CPU-bound stages run: parsing a feed and scoring its new items.

feedparser and the classifier are pure Python for the most part, so threads would share one core. With
``workers`` ≥ 1 they run in that many worker processes, and the event loop keeps fetching, storing and
answering Telegram on the other core; with 0 they run in a thread of this process (tests, one-core machines).
A worker ends by itself when the bot is gone, even after a ``kill -9``.

A worker loads the model the parent names (by directory and version) once and keeps it until another is
named, so a promotion or a rollback reaches the workers with the next item scored.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from datetime import datetime
from pathlib import Path

from bot.ingest.parse import ParsedFeed, parse_feed
from bot.learn.score import score_items
from bot.types import Feed, Item, Score
from classifier import registry
from classifier.model import TiesModel

_model: tuple[Path, str, TiesModel] | None = None  # in a worker: the model last named


def _end_with(parent: int) -> None:
    """In a worker: live exactly as long as the bot. Ctrl-C and SIGTERM reach the whole process group (a
    terminal, systemd, docker): the bot stops its workers itself once the documents in hand are done, so
    they ignore both; and they exit as soon as the bot is gone (a killed parent never says goodbye, and a
    worker waiting on its queue would wait forever)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(0)

    threading.Thread(target=watch, name="orphan-guard", daemon=True).start()


def _score_in_worker(models_dir: Path, version: str, items: Sequence[Item]) -> list[Score]:
    global _model
    if _model is None or _model[:2] != (models_dir, version):
        _model = (models_dir, version, registry.load(models_dir, version))
    return score_items(_model[2], items)


class Cpu:
    """Runs ``parse`` and ``score`` in worker processes, or in a thread when ``workers`` is 0."""

    def __init__(self, workers: int = 0):
        self.workers = workers
        self._pool: ProcessPoolExecutor | None = None

    def _executor(self) -> ProcessPoolExecutor | None:
        if self.workers and self._pool is None:
            context = multiprocessing.get_context("spawn")  # fork would copy the event loop's threads and locks
            self._pool = ProcessPoolExecutor(
                self.workers, mp_context=context, initializer=_end_with, initargs=(os.getpid(),)
            )
        return self._pool

    async def parse(
        self, body: bytes, feed: Feed, headers: Mapping[str, str], now: datetime, known: frozenset[str] = frozenset()
    ) -> ParsedFeed:
        """``parse_feed`` off the event loop."""
        pool = self._executor()
        args = (body, feed, dict(headers), now, known)
        if pool is None:
            return await asyncio.to_thread(parse_feed, *args)
        return await asyncio.get_running_loop().run_in_executor(pool, parse_feed, *args)

    async def score(self, model: TiesModel, models_dir: Path, items: Sequence[Item]) -> list[Score]:
        """Score ``items`` with ``model`` (which a worker loads from ``models_dir`` by its version)."""
        if not items:
            return []
        pool = self._executor()
        if pool is None:
            return await asyncio.to_thread(score_items, model, items)
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(pool, _score_in_worker, models_dir, model.version, list(items))

    def close(self) -> None:
        """Stop the workers (a job under way is waited for)."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
