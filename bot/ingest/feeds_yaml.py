"""feeds.yaml: the list of feeds, loaded with every mistake reported by line (edits: ``feeds_edit``).

The file is the single source of truth for what is polled. Each value is checked where it enters:
urls (http or https, well formed), names (unique), languages (ISO 639-1), intervals (a minute to a day).
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError

from bot.errors import ConfigError, FeedsFileError
from bot.types import DEFAULT_INTERVAL, Feed

MIN_INTERVAL = 60  # seconds: publishers deserve minutes (TIESWATCH_MIN_INTERVAL lowers it for feeds you run)
MAX_INTERVAL = 86400  # a feed polled less than daily misses items that scroll off it
_DURATION = re.compile(r"^\s*(\d+)\s*(s|m|h|d)\s*$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_FIELDS = ("name", "url", "language", "interval")
# ISO 639-1: the two-letter language codes (the code list is data, not something a library must own).
LANGUAGES = frozenset(
    "aa ab ae af ak am an ar as av ay az ba be bg bi bm bn bo br bs ca ce ch co cr cs cu cv cy da de dv dz ee el "
    "en eo es et eu fa ff fi fj fo fr fy ga gd gl gn gu gv ha he hi ho hr ht hu hy hz ia id ie ig ii ik io is it "
    "iu ja jv ka kg ki kj kk kl km kn ko kr ks ku kv kw ky la lb lg li ln lo lt lu lv mg mh mi mk ml mn mr ms mt "
    "my na nb nd ne ng nl nn no nr nv ny oc oj om or os pa pi pl ps pt qu rm rn ro ru rw sa sc sd se sg si sk sl "
    "sm sn so sq sr ss st su sv sw ta te tg th ti tk tl tn to tr ts tt tw ty ug uk ur uz ve vi vo wa wo xh yi yo "
    "za zh zu".split()
)


def parse_duration(text: str) -> int:
    """'90s', '10m', '1h', '1d' -> seconds; raises ValueError otherwise."""
    m = _DURATION.match(str(text))
    if not m:
        raise ValueError(text)
    return int(m.group(1)) * _UNITS[m.group(2)]


def format_duration(seconds: int) -> str:
    """Seconds as the largest whole unit feeds.yaml takes: 600 -> '10m', 90 -> '90s'."""
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds % size == 0 and seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def check_interval(text: object, min_interval: int = MIN_INTERVAL) -> int:
    """A poll interval from its text ('10m'), between ``min_interval`` and a day; ValueError says why not."""
    try:
        seconds = parse_duration(str(text))
    except ValueError:
        raise ValueError("interval must look like 90s, 10m or 1h") from None
    if not min_interval <= seconds <= MAX_INTERVAL:
        low, high = format_duration(min_interval), format_duration(MAX_INTERVAL)
        raise ValueError(f"interval must be between {low} and {high}, not {text}")
    return seconds


def language_code(text: object) -> str:
    """An ISO 639-1 code from what a person or a feed wrote ('IT', 'en-US', 'pt_BR'); ValueError says why not."""
    code = str(text).strip().lower().replace("_", "-").split("-")[0]
    if code not in LANGUAGES:
        raise ValueError(
            f"language must be an ISO 639-1 code such as it, en or ko, not {str(text).strip()!r} "
            f"(valid: {', '.join(sorted(LANGUAGES))})"
        )
    return code


def check_url(url: str) -> str | None:
    """Why ``url`` cannot be polled, or None when it can."""
    try:
        parts = urlsplit(url)
        host, _port = parts.hostname, parts.port  # both raise ValueError on 'http://[::1' or ':99999'
    except ValueError as e:
        return f"url is malformed ({e})"
    if parts.scheme not in ("http", "https"):
        return "url must start with http:// or https://"
    if not host:
        return "url has no host"
    return None


def round_trip_yaml() -> YAML:
    y = YAML()  # round-trip: keeps comments, order and quoting
    y.indent(mapping=2, sequence=4, offset=2)
    y.preserve_quotes = True
    y.width = 4096  # never rewrap a long line
    return y


def read_feeds_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such file (give --feeds PATH or set TIESWATCH_FEEDS)") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text; a feed list is a YAML text file") from None
    except OSError as e:
        raise ConfigError(f"{path}: cannot read ({e.strerror}); give --feeds PATH to a readable file") from None


def parse_feeds_text(text: str, path: Path) -> object:
    try:
        return round_trip_yaml().load(text)
    except YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        problem = getattr(e, "problem", None) or str(e).splitlines()[0]
        context = getattr(e, "context_mark", None)
        if context is not None and (mark is None or context.line != mark.line):
            problem += f"; the construct started at line {context.line + 1}"
        raise FeedsFileError(str(path), [f"{path.name}{where}: not valid YAML ({problem})"]) from e


def entries_of(doc: object, path: Path) -> CommentedSeq:
    if isinstance(doc, CommentedMap) and isinstance(doc.get("feeds"), CommentedSeq):
        return doc["feeds"]
    if isinstance(doc, CommentedSeq):
        return doc
    if doc is None or (isinstance(doc, CommentedMap) and doc.get("feeds") is None):
        return CommentedSeq()
    raise FeedsFileError(str(path), [f"{path.name}: expected a 'feeds:' list of entries"])


def validate_entries(entries: CommentedSeq, path: Path, min_interval: int) -> list[Feed]:
    feeds: list[Feed] = []
    problems: list[str] = []
    urls: dict[str, int] = {}
    names: dict[str, int] = {}
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
        url, name = entry["url"].strip(), entry["name"].strip()
        try:
            if (why := check_url(url)) is not None:
                raise ValueError(why)
            if url in urls:
                raise ValueError(f"url already listed at line {urls[url]}")
        except ValueError as e:
            problems.append(f"{at('url')}: {e}")
            continue
        if name.lower() in names:
            problems.append(
                f"{at('name')}: name '{name}' is already used at line {names[name.lower()]} "
                "(feeds are removed and resumed by name: give each its own)"
            )
            continue
        urls[url], names[name.lower()] = line, line
        try:
            language = language_code(entry["language"])
        except ValueError as e:
            problems.append(f"{at('language')}: {e}")
            continue
        interval = DEFAULT_INTERVAL
        if "interval" in entry:
            try:
                interval = check_interval(entry["interval"], min_interval)
            except ValueError as e:
                problems.append(f"{at('interval')}: {e}")
                continue
        feeds.append(Feed(name, url, language, interval, line))
    if problems:
        raise FeedsFileError(str(path), problems)
    return feeds


def load_feeds(path: str | Path, min_interval: int = MIN_INTERVAL) -> list[Feed]:
    """Read and validate feeds.yaml; raise FeedsFileError listing every mistake with its line and field."""
    path = Path(path)
    return validate_entries(entries_of(parse_feeds_text(read_feeds_text(path), path), path), path, min_interval)


def find_feed(path: str | Path, which: str, min_interval: int = MIN_INTERVAL) -> tuple[int, Feed]:
    """The feed of feeds.yaml whose url or name (any case) is ``which``, with its position in the list."""
    path = Path(path)
    for i, feed in enumerate(load_feeds(path, min_interval)):
        if which == feed.url or which.lower() == feed.name.lower():
            return i, feed
    raise ConfigError(f"no feed with url or name '{which}' in {path.name} (see `tieswatch feeds list`)")
