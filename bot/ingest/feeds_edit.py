"""Edits of feeds.yaml: add or remove entries, changing the text of those entries and nothing else.

Comments, blank lines, quoting and long lines elsewhere stay as they are. Every edit is checked by loading
its result, and replaces the file atomically (a temporary file beside it, then a rename), so a crash or a
full disk never leaves half a feed list behind. A file with an unusual layout (flow style) is rewritten by
the YAML library instead.
"""

from __future__ import annotations

import io
import os
import stat
import tempfile
from collections.abc import Sequence
from pathlib import Path

from ruamel.yaml.comments import CommentedMap, CommentedSeq

from bot.errors import ConfigError, FeedsFileError
from bot.ingest.feeds_yaml import (
    MIN_INTERVAL,
    check_interval,
    entries_of,
    find_feed,
    format_duration,
    language_code,
    parse_feeds_text,
    read_feeds_text,
    round_trip_yaml,
    validate_entries,
)
from bot.types import DEFAULT_INTERVAL, Feed


def _same(a: Sequence[Feed], b: Sequence[Feed]) -> bool:
    return [(f.name, f.url, f.language, f.interval) for f in a] == [(f.name, f.url, f.language, f.interval) for f in b]


def _write(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` atomically (a temporary file beside it, then a rename)."""
    target = path.resolve()  # a symlinked feeds.yaml stays a symlink: its target is what changes
    if target.exists() and (not os.access(target, os.W_OK) or not target.stat().st_mode & 0o222):
        raise ConfigError(f"{path} is read-only: make it writable (chmod u+w {path}) or edit it by hand")
    try:
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    except OSError as e:
        raise ConfigError(f"cannot write {path} ({e.strerror}): its folder must be writable") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        mode = stat.S_IMODE(target.stat().st_mode) if target.exists() else 0o644
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _span(lines: list[str], start: int) -> tuple[int, int]:
    """The lines [start, end) of the entry whose '- ' is on line ``start`` (0-based): its own lines, not the
    blank lines and full-line comments after it, which belong with what follows."""
    dash = len(lines[start]) - len(lines[start].lstrip())
    end = start + 1
    for i in range(start + 1, len(lines)):
        stripped = lines[i].strip()
        if not stripped or stripped.startswith("#"):
            continue
        if len(lines[i]) - len(lines[i].lstrip()) <= dash:
            break
        end = i + 1
    return start, end


def _entry_text(feed: Feed, indent: int) -> list[str]:
    entry = CommentedMap(name=feed.name, url=feed.url, language=feed.language)
    if feed.interval != DEFAULT_INTERVAL:
        entry["interval"] = format_duration(feed.interval)
    buf = io.StringIO()
    round_trip_yaml().dump(CommentedSeq([entry]), buf)
    rendered = buf.getvalue().splitlines(keepends=True)
    strip = min(len(r) - len(r.lstrip()) for r in rendered if r.strip())
    return [" " * indent + r[strip:] for r in rendered]


def _round_trip(doc: object, entries: CommentedSeq, new: Sequence[Feed]) -> str:
    """The whole document dumped again: only for a file that holds no entry to copy the layout of."""
    if not isinstance(doc, CommentedMap | CommentedSeq):
        doc = CommentedMap()
    if isinstance(doc, CommentedMap) and doc.get("feeds") is not entries:
        doc["feeds"] = entries
    entries.fa.set_block_style()
    for feed in new:
        entry = CommentedMap(name=feed.name, url=feed.url, language=feed.language)
        if feed.interval != DEFAULT_INTERVAL:
            entry["interval"] = format_duration(feed.interval)
        entries.append(entry)
    buf = io.StringIO()
    round_trip_yaml().dump(doc, buf)
    return buf.getvalue()


def add_feeds(path: str | Path, new: Sequence[Feed], min_interval: int = MIN_INTERVAL) -> None:
    """Append ``new`` to feeds.yaml in one atomic write, changing no other line; refuse a duplicate url or
    name (the ConfigError names the line already holding it)."""
    path = Path(path)
    text = read_feeds_text(path) if path.exists() else ""
    doc = parse_feeds_text(text, path)
    entries = entries_of(doc, path)
    old = validate_entries(entries, path, min_interval)
    urls, names = {f.url: f for f in old}, {f.name.lower(): f for f in old}
    for feed in new:
        if (f := urls.get(feed.url)) is not None:
            where = f"line {f.line}, '{f.name}'" if f.line else f"'{f.name}'"
            raise ConfigError(f"{feed.url} is already in {path.name} ({where})")
        if (f := names.get(feed.name.lower())) is not None:
            where = f" (line {f.line})" if f.line else ""
            raise ConfigError(f"a feed named '{feed.name}' is already in {path.name}{where}: give another --name")
        try:
            language_code(feed.language)
            check_interval(format_duration(feed.interval), min_interval)
        except ValueError as e:
            raise ConfigError(f"{feed.url}: {e}") from None
        urls[feed.url], names[feed.name.lower()] = feed, feed
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    if len(entries):  # after the last entry, indented like it
        last = entries.lc.item(len(entries) - 1)[0]
        _, end = _span(lines, last)
        indent = len(lines[last]) - len(lines[last].lstrip())
        added = [line for feed in new for line in _entry_text(feed, indent)]
        candidate = "".join(lines[:end] + added + lines[end:])
    elif doc is None:  # empty, or only comments
        candidate = "".join([*lines, "feeds:\n", *(line for feed in new for line in _entry_text(feed, 2))])
    else:
        candidate = ""
    if not _loads_as(candidate, path, min_interval, [*old, *new]):
        candidate = _round_trip(doc, entries, new)  # an unusual layout: let the YAML library write it
    _write(path, candidate)


def _loads_as(text: str, path: Path, min_interval: int, expected: Sequence[Feed]) -> bool:
    """Whether ``text`` is a valid feed list holding exactly ``expected``: every edit is checked so."""
    try:
        return _same(validate_entries(entries_of(parse_feeds_text(text, path), path), path, min_interval), expected)
    except FeedsFileError:
        return False


def add_feed(path: str | Path, feed: Feed, min_interval: int = MIN_INTERVAL) -> None:
    """Append ``feed`` to feeds.yaml (see ``add_feeds``)."""
    add_feeds(path, [feed], min_interval)


def remove_feed(path: str | Path, which: str, min_interval: int = MIN_INTERVAL) -> Feed:
    """Remove the feed whose url or name is ``which``, changing no other line; return it."""
    path = Path(path)
    text = read_feeds_text(path)
    doc = parse_feeds_text(text, path)
    entries = entries_of(doc, path)
    old = validate_entries(entries, path, min_interval)
    i, feed = find_feed(path, which, min_interval)
    lines = text.splitlines(keepends=True)
    start, end = _span(lines, entries.lc.item(i)[0])
    candidate = "".join(lines[:start] + lines[end:])
    if not _loads_as(candidate, path, min_interval, old[:i] + old[i + 1 :]):
        del entries[i]  # an unusual layout (flow style, several entries on a line): let the YAML library edit it
        buf = io.StringIO()
        round_trip_yaml().dump(doc, buf)
        candidate = buf.getvalue()
    _write(path, candidate)
    return feed
