"""What the command groups share: the clock, short relative times and cut texts for tables, tables or JSON
on standard output, and opening the store for one command."""

from __future__ import annotations

import argparse
import codecs
import contextlib
import json
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path

from tabulate import tabulate

from bot.config import Config
from bot.errors import InputError
from bot.store import Store


def now() -> datetime:
    return datetime.now(UTC)


@contextlib.contextmanager
def opened(config: Config, *, read_only: bool = False) -> Iterator[Store]:
    """The store for the length of one command. A command that only reads gets an empty store instead of
    creating a data directory that does not exist (a typo in --data must not leave folders behind)."""
    store = Store.open(":memory:" if read_only and not config.db_path.exists() else config.db_path)
    try:
        yield store
    finally:
        store.close()


def readable(name: str | Path) -> Path:
    """A file named on the command line, checked before it is used: it exists, is a file one can read,
    and begins as UTF-8 text. Each problem is an InputError naming the file."""
    path = Path(name)
    try:
        with path.open("rb") as f:
            head = f.read(65536)
    except OSError as e:
        raise InputError(f"{path}: cannot read ({e.strerror})") from None
    try:
        if b"\0" in head:
            raise UnicodeError
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeError:
        raise InputError(f"{path}: not UTF-8 text (a binary file?)") from None
    return path


def until(t: datetime | None, now: datetime) -> str:
    """When something comes next, for tables: 'now', 'in 5m'."""
    if not t or t <= now:
        return "now"
    return "in " + ago(now - (t - now), now).removesuffix(" ago")


def add_json_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print JSON (one array of objects) instead of a table")


def emit(args: argparse.Namespace, headers: Sequence[str], rows: Sequence[Sequence], records: list[dict]) -> None:
    """The table (or, with --json, the records) on standard output."""
    if getattr(args, "json", False):
        print(json.dumps(records, ensure_ascii=False, indent=1, default=str))
    else:
        print(tabulate(rows, headers=headers))


def ago(t: datetime | None, now: datetime) -> str:
    if not t:
        return "never"
    seconds = int((now - t).total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit} ago"
    return f"{max(seconds, 0)}s ago"


def short(text: str | None, width: int = 60) -> str:
    if not text:
        return ""
    return text if len(text) <= width else text[: width - 1] + "…"
