"""feeds.yaml: the list of feeds, loaded with every mistake reported by line, and edited in place.

The file is the single source of truth for what is polled. Edits go through ruamel.yaml's round-trip
mode so that the comments and the order people gave it survive.
"""

from __future__ import annotations

import io
import re
from pathlib import Path
from urllib.parse import urlsplit

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError

from bot.errors import ConfigError, FeedsFileError
from bot.types import DEFAULT_INTERVAL, Feed

MIN_INTERVAL = 1  # seconds; real feeds deserve minutes, tests and demos need seconds
_DURATION = re.compile(r"^\s*(\d+)\s*(s|m|h|d)\s*$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_LANG = re.compile(r"^[a-z]{2,3}$")
_FIELDS = ("name", "url", "language", "interval")


def parse_duration(text: str) -> int:
    """'90s', '10m', '1h', '1d' -> seconds; raises ValueError otherwise."""
    m = _DURATION.match(str(text))
    if not m:
        raise ValueError(text)
    return int(m.group(1)) * _UNITS[m.group(2)]


def format_duration(seconds: int) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds % size == 0 and seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def check_url(url: str) -> str | None:
    """Why ``url`` cannot be polled, or None when it can."""
    try:
        parts = urlsplit(url)
    except ValueError:  # "http://[::1" and the like
        return "url is not a valid address"
    if parts.scheme not in ("http", "https"):
        return "url must start with http:// or https://"
    if not parts.hostname:
        return "url has no host"
    return None


def _yaml() -> YAML:
    y = YAML()  # round-trip: keeps comments, order and quoting
    y.indent(mapping=2, sequence=4, offset=2)
    y.preserve_quotes = True
    return y


def _read(path: Path) -> CommentedMap | CommentedSeq | None:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such file (give --feeds PATH or set TIESWATCH_FEEDS)") from None
    try:
        return _yaml().load(text)
    except YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        problem = getattr(e, "problem", None) or str(e).splitlines()[0]
        context = getattr(e, "context_mark", None)
        if context is not None and (mark is None or context.line != mark.line):
            problem += f"; the construct started at line {context.line + 1}"
        raise FeedsFileError(str(path), [f"{path.name}{where}: not valid YAML ({problem})"]) from e


def _entries(doc: object, path: Path) -> CommentedSeq:
    if isinstance(doc, CommentedMap) and isinstance(doc.get("feeds"), CommentedSeq):
        return doc["feeds"]
    if isinstance(doc, CommentedSeq):
        return doc
    if doc is None or (isinstance(doc, CommentedMap) and doc.get("feeds") is None):
        return CommentedSeq()
    raise FeedsFileError(str(path), [f"{path.name}: expected a 'feeds:' list of entries"])


def load_feeds(path: str | Path) -> list[Feed]:
    """Read and validate feeds.yaml; raise FeedsFileError listing every mistake with its line and field."""
    path = Path(path)
    entries = _entries(_read(path), path)
    feeds: list[Feed] = []
    problems: list[str] = []
    seen: dict[str, int] = {}
    for i, entry in enumerate(entries):
        line = entries.lc.item(i)[0] + 1
        where = f"{path.name} line {line}"
        if not isinstance(entry, CommentedMap):
            problems.append(f"{where}: each feed must be a mapping with name, url, language")
            continue

        def at(key: str, entry: CommentedMap = entry, line: int = line) -> str:
            pos = entry.lc.data.get(key) if entry.lc.data else None
            return f"{path.name} line {pos[0] + 1 if pos else line}"

        bad = False
        for key in entry:
            if key not in _FIELDS:
                problems.append(f"{at(key)}: unknown field '{key}' (fields: {', '.join(_FIELDS)})")
                bad = True
        for key in ("name", "url", "language"):
            if key not in entry:
                problems.append(f"{where}: '{key}' is missing")
                bad = True
            elif not isinstance(entry[key], str) or not entry[key].strip():
                problems.append(f"{at(key)}: '{key}' must be a non-empty text")
                bad = True
        if bad:
            continue
        url = entry["url"].strip()
        if (why := check_url(url)) is not None:
            problems.append(f"{at('url')}: {why}")
            continue
        if url in seen:
            problems.append(f"{at('url')}: url already listed at line {seen[url]}")
            continue
        seen[url] = line
        language = entry["language"].strip().lower()
        if not _LANG.match(language):
            problems.append(f"{at('language')}: language must be a code such as it, en, ko")
            continue
        interval = DEFAULT_INTERVAL
        if "interval" in entry:
            try:
                interval = parse_duration(entry["interval"])
            except ValueError:
                problems.append(f"{at('interval')}: interval must look like 90s, 10m or 1h")
                continue
            if interval < MIN_INTERVAL:
                problems.append(f"{at('interval')}: interval must be at least {MIN_INTERVAL}s")
                continue
        feeds.append(Feed(entry["name"].strip(), url, language, interval, line))
    if problems:
        raise FeedsFileError(str(path), problems)
    return feeds


def _dump(doc: object) -> str:
    buf = io.StringIO()
    _yaml().dump(doc, buf)
    return buf.getvalue()


def add_feed(path: str | Path, feed: Feed) -> None:
    """Append ``feed`` to feeds.yaml, keeping its comments and order; refuse a duplicate url or name."""
    path = Path(path)
    doc = _read(path) if path.exists() else None
    if doc is None:
        doc = CommentedMap(feeds=CommentedSeq())
    entries = _entries(doc, path)
    if isinstance(doc, CommentedMap) and doc.get("feeds") is None:
        doc["feeds"] = entries
    for existing in load_feeds(path) if path.exists() else []:
        if existing.url == feed.url:
            raise ConfigError(f"{feed.url} is already in {path.name} (line {existing.line}, '{existing.name}')")
        if existing.name.lower() == feed.name.lower():
            raise ConfigError(f"a feed named '{feed.name}' is already in {path.name} (line {existing.line})")
    entry = CommentedMap(name=feed.name, url=feed.url, language=feed.language)
    if feed.interval != DEFAULT_INTERVAL:
        entry["interval"] = format_duration(feed.interval)
    entries.append(entry)
    path.write_text(_dump(doc), encoding="utf-8")


def find_feed(path: str | Path, which: str) -> tuple[int, Feed]:
    """The feed of feeds.yaml whose url or name (any case) is ``which``, with its position in the list."""
    path = Path(path)
    for i, feed in enumerate(load_feeds(path)):
        if which == feed.url or which.lower() == feed.name.lower():
            return i, feed
    raise ConfigError(f"no feed with url or name '{which}' in {path.name}")


def remove_feed(path: str | Path, which: str) -> Feed:
    """Remove the feed whose url or name is ``which``; return it. Comments elsewhere are kept."""
    path = Path(path)
    i, feed = find_feed(path, which)
    doc = _read(path)
    del _entries(doc, path)[i]
    path.write_text(_dump(doc), encoding="utf-8")
    return feed
