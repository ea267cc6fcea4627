"""OPML, the format feed readers exchange feed lists in: read (every bad outline reported with its line)
and write."""

from __future__ import annotations

import xml.parsers.expat
from collections.abc import Sequence
from pathlib import Path
from xml.sax.saxutils import quoteattr

from bot.errors import InputError
from bot.ingest.feeds_yaml import check_url, language_code
from bot.types import DEFAULT_INTERVAL, Feed


def read_opml(path: Path, default_language: str | None = None) -> tuple[list[Feed], list[str]]:
    """The feeds of an OPML file and the problems found, each as ``name line N: what``.

    Raises InputError when the file cannot be read or is not OPML at all (an RSS feed, a web page)."""
    feeds: list[Feed] = []
    problems: list[str] = []
    roots: list[str] = []
    parser = xml.parsers.expat.ParserCreate()

    def start(tag: str, attrs: dict[str, str]) -> None:
        if not roots:
            roots.append(tag)
            if tag.lower() != "opml":
                raise InputError(
                    f"{path}: not an OPML file (its root element is <{tag}>): feeds import takes the OPML list a "
                    "feed reader exports; add a single feed with `tieswatch feeds add URL`"
                )
        if tag != "outline" or "xmlUrl" not in attrs and attrs.get("type") != "rss":
            return
        line = parser.CurrentLineNumber
        url = (attrs.get("xmlUrl") or "").strip()
        name = (attrs.get("title") or attrs.get("text") or "").strip()
        said = attrs.get("language") or default_language or ""
        if not url:
            problems.append(f"{path.name} line {line}: outline has no xmlUrl")
        elif (why := check_url(url)) is not None:
            problems.append(f"{path.name} line {line}: {why}")
        elif not said:
            problems.append(f"{path.name} line {line}: no language for {url} (give --lang)")
        else:
            try:
                feeds.append(Feed(name or url, url, language_code(said), DEFAULT_INTERVAL, line))
            except ValueError as e:
                problems.append(f"{path.name} line {line}: {str(e).split(' (valid:')[0]} (give --lang)")

    parser.StartElementHandler = start
    try:
        data = path.read_bytes()
    except OSError as e:
        raise InputError(f"{path}: cannot read ({e.strerror}); give the path of an OPML file") from None
    try:
        parser.Parse(data, True)
    except xml.parsers.expat.ExpatError as e:
        if not roots:
            raise InputError(f"{path}: not an OPML file (not XML: {xml.parsers.expat.ErrorString(e.code)})") from None
        problems.append(f"{path.name} line {e.lineno}: not well-formed XML ({xml.parsers.expat.ErrorString(e.code)})")
    if not roots:
        raise InputError(f"{path}: empty, not an OPML file")
    return feeds, problems


def write_opml(feeds: Sequence[Feed], title: str = "tieswatch feeds") -> str:
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<opml version="2.0">',
        f"  <head><title>{title}</title></head>",
        "  <body>",
    ]
    for f in feeds:
        lines.append(
            f'    <outline type="rss" text={quoteattr(f.name)} title={quoteattr(f.name)} '
            f"xmlUrl={quoteattr(f.url)} language={quoteattr(f.language)}/>"
        )
    lines += ["  </body>", "</opml>"]
    return "\n".join(lines) + "\n"
