"""Progress on long work (training, retraining, evaluating, a long poll), drawn on standard error with tqdm
only when it is a terminal: piped or logged output stays clean.

tqdm rather than rich: one small package with no dependencies of its own, whose bars turn themselves
off when standard error is not a terminal (``disable=None``).
"""

from __future__ import annotations

import contextlib
import sys
import threading
from collections.abc import Iterator

from tqdm import tqdm


@contextlib.contextmanager
def working(what: str) -> Iterator[None]:
    """A line that shows ``what`` and the time spent on it, for a step whose length nobody knows ahead."""
    bar = tqdm(desc=what, bar_format="{desc}… {elapsed}", disable=None, file=sys.stderr, leave=False)
    stop = threading.Event()

    def tick() -> None:
        while not stop.wait(0.5):
            bar.refresh()

    ticker = threading.Thread(target=tick, daemon=True)
    ticker.start()
    try:
        yield
    finally:
        stop.set()
        ticker.join()
        bar.close()


@contextlib.contextmanager
def counting(what: str, total: int, unit: str = "feed") -> Iterator[tqdm]:
    """A bar over ``total`` things; call ``update(1)`` on it as each one is done."""
    bar = tqdm(desc=what, total=total, unit=unit, disable=None, file=sys.stderr, leave=False)
    try:
        yield bar
    finally:
        bar.close()
