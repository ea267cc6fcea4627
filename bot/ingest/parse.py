"""Parse and normalise: feed bytes -> ``Item`` records with stable ids and plain text.

feedparser does the hard part (RSS 0.9x/1.0/2.0, Atom, encodings); this module decides what an item is for
us: its id, its plain-text title, summary and body, a safe link and a UTC time. Feed bytes are hostile: whatever
a document holds, ``parse_feed`` returns items or raises ``ParseError``, and every text it returns can be stored.
"""

from __future__ import annotations

import hashlib
import html
import re
from collections.abc import Container, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import feedparser

from bot.errors import ParseError
from bot.types import Feed, Item

_TRACKING = re.compile(
    r"^(utm_\w+|fbclid|gclid|dclid|msclkid|mc_cid|mc_eid|igshid|yclid|_ga|ref|ref_src|cmpid|at_\w+)$", re.I
)
_SPACES = re.compile(r"[ \t\r\f\v\u00a0\u2000-\u200b\u202f\u205f\u3000]+")
_BLOCK = frozenset(
    [
        "p",
        "div",
        "br",
        "li",
        "ul",
        "ol",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "blockquote",
        "pre",
        "table",
        "tr",
        "td",
        "th",
        "section",
        "article",
        "header",
        "footer",
        "figure",
        "figcaption",
        "hr",
        "dd",
        "dt",
    ]
)
_SKIP = frozenset(("script", "style", "template", "noscript", "iframe", "object"))
# Characters SQLite or UTF-8 cannot carry (lone surrogates), or that no reader wants (NUL, C0 controls).
_UNSTORABLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# A numeric character reference; feedparser calls chr() on it unchecked (&#1114112; raises ValueError).
_CHARREF = re.compile(rb"&#(?:[xX]([0-9a-fA-F]{1,16})|([0-9]{1,24}));")
_FFFD = b"&#xFFFD;"


@dataclass(frozen=True)
class ParsedFeed:
    """What a document yielded: its items and, for an ill-formed ("bozo") one, why it was ill-formed.

    skipped: entries left out because their id was among the ``known`` ones the caller gave.
    """

    items: tuple[Item, ...]
    title: str
    version: str
    warning: str | None
    language: str = ""
    skipped: int = 0


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP:
            self._skip += 1
        elif tag in _BLOCK:
            self.parts.append("\n")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCK:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            self._skip = max(0, self._skip - 1)
        elif tag in _BLOCK:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def html_to_text(markup: str, *, keep_lines: bool = False) -> str:
    """Plain text of an HTML fragment: tags dropped (script and style with their content), entities decoded,
    whitespace collapsed; with ``keep_lines``, block elements become line breaks."""
    if not markup:
        return ""
    if "<" in markup or "&" in markup:
        parser = _TextExtractor()
        try:
            parser.feed(markup)
            parser.close()
            markup = "".join(parser.parts)
        except Exception:  # noqa: BLE001 - html.parser is lenient, but never let markup stop a poll
            markup = html.unescape(re.sub(r"<[^>]*>", " ", markup))
    return normalise_space(markup, keep_lines=keep_lines)


def normalise_space(text: str, *, keep_lines: bool = False) -> str:
    """Whitespace collapsed (with ``keep_lines``, within each line), characters no store can hold removed."""
    text = storable(text)
    if not keep_lines:
        return _SPACES.sub(" ", text.replace("\n", " ")).strip()
    lines = (_SPACES.sub(" ", line).strip() for line in text.split("\n"))
    return "\n".join(line for line in lines if line)


def storable(text: str) -> str:
    """``text`` without lone surrogates, NUL and control characters (which would stop a store or a reader)."""
    return _UNSTORABLE.sub("", text)


def _valid_charref(m: re.Match[bytes]) -> bytes:
    code = int(m.group(1), 16) if m.group(1) else int(m.group(2))
    if code == 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        return _FFFD
    return m.group(0)


def canonical_link(url: str) -> str:
    """The link without tracking parameters and fragment, so the same article gets the same id."""
    try:
        parts = urlsplit(url)
    except ValueError:  # an unparseable address (a broken IPv6 literal) is still a usable, stable id
        return url
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _TRACKING.match(k)]
    return urlunsplit((parts.scheme, parts.netloc.lower(), parts.path or "/", urlencode(query), ""))


def safe_link(url: str | None) -> str | None:
    if not url:
        return None
    url = storable(url.strip())
    try:
        parts = urlsplit(url)
    except ValueError:  # "http://[::1" and the like: not a link anyone can follow
        return None
    return url if parts.scheme in ("http", "https") and parts.netloc else None


def _text_of(value: object) -> str:
    """feedparser's text constructs carry a type: only HTML is markup; text/plain is taken as it is."""
    if isinstance(value, Mapping):
        kind = value.get("type", "text/html")
        raw = value.get("value", "") or ""
    else:
        kind, raw = "text/html", str(value or "")
    if kind == "text/plain":
        return normalise_space(raw)
    return html_to_text(raw)


def _when(entry: Mapping, fallback: datetime) -> datetime:
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        parsed = entry.get(key)
        if parsed:
            try:
                return datetime(*parsed[:6], tzinfo=UTC)  # feedparser's struct_time is already UTC
            except (TypeError, ValueError, OverflowError):
                continue
    return fallback


def _stable_id(entry: Mapping, feed: Feed, link: str | None, title: str, published: str) -> str:
    guid = storable(str(entry.get("id") or "").strip())
    if guid:
        # A guid that is a URI is meant to be global; a bare "123" only means something inside its feed.
        return guid if re.match(r"^[a-z][a-z0-9+.-]*:", guid, re.I) else f"{feed.url}#{guid}"
    if link:
        return canonical_link(link)
    digest = hashlib.sha256(f"{feed.url}\n{title}\n{published}".encode(errors="replace")).hexdigest()[:24]
    return f"sha256:{digest}"


def _body(entry: Mapping) -> str:
    contents = entry.get("content") or []
    best = ""
    for content in contents:
        kind = content.get("type", "text/html")
        raw = content.get("value", "") or ""
        text = normalise_space(raw, keep_lines=True) if kind == "text/plain" else html_to_text(raw, keep_lines=True)
        if len(text) > len(best):
            best = text
    return best


def _short(text: str, width: int = 120) -> str:
    text = storable(text)
    return text if len(text) <= width else text[: width - 1] + "…"


def parse_feed(
    body: bytes, feed: Feed, headers: Mapping[str, str], fetched_at: datetime, known: Container[str] = ()
) -> ParsedFeed:
    """Parse one document; raise ParseError when it is ill-formed and nothing could be recovered.

    Entries whose id is in ``known`` (items already stored) are counted in ``skipped`` and not turned into
    items: their text is never extracted, which is most of our share of a changed feed's parse.
    """
    headers = {k.lower(): v for k, v in headers.items()}
    if headers and "content-type" not in headers:
        # Without it feedparser flags every document NonXMLContentType.
        headers["content-type"] = "application/xml"
    # Our text comes from html_to_text, which drops every tag (scripts with their content), so feedparser's
    # sanitiser and its rewriting of links inside the markup do work that is thrown away (two thirds of the
    # parse time). Item links are still resolved against xml:base and the document's address.
    body = _CHARREF.sub(_valid_charref, body)
    try:
        result = feedparser.parse(
            body, response_headers=headers or None, sanitize_html=False, resolve_relative_uris=False
        )
    except Exception as e:  # feedparser's own failures on hostile bytes (undecodable prolog, KeyError 'links'...)
        raise ParseError(feed.url, f"unreadable document ({type(e).__name__}: {_short(str(e))})") from e
    warning = None
    if result.get("bozo"):
        exc = result.get("bozo_exception")
        warning = _short(f"{type(exc).__name__}: {exc}", 300) if exc else "ill-formed document"
    meta = result.get("feed", {})
    entries = result.get("entries", [])
    if not entries:
        if not result.get("version"):
            raise ParseError(feed.url, f"not an RSS or Atom document ({warning or 'no feed element'})")
        # A wrong encoding still leaves a readable document; broken XML that kept nothing is unusable.
        broken = warning and not isinstance(result.get("bozo_exception"), feedparser.CharacterEncodingOverride)
        if broken and not meta:
            raise ParseError(feed.url, f"ill-formed and nothing could be recovered ({warning})")
    items = []
    seen = set()
    skipped = 0
    for entry in entries:
        title = _text_of(entry.get("title_detail") or entry.get("title", ""))
        link = safe_link(entry.get("link"))
        item_id = _stable_id(entry, feed, link, title, entry.get("published", "") or entry.get("updated", ""))
        if item_id in seen:  # the same entry twice in one document
            continue
        seen.add(item_id)
        if item_id in known:
            skipped += 1
            continue
        summary = _text_of(entry.get("summary_detail") or entry.get("summary", ""))
        text = _body(entry)
        if text and normalise_space(text) == summary:
            text = ""
        published = _when(entry, fetched_at)
        items.append(
            Item(
                id=item_id,
                feed_url=feed.url,
                source=feed.name,
                language=feed.language,
                title=title,
                summary=summary,
                text=text,
                link=link,
                published=published,
                fetched_at=fetched_at,
            )
        )
    return ParsedFeed(
        tuple(items),
        _text_of(meta.get("title_detail") or meta.get("title", "")),
        result.get("version", ""),
        warning,
        storable(str(meta.get("language") or "")).split("-")[0].lower()[:8],
        skipped,
    )
