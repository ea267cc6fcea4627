"""OPML, the format feed readers exchange feed lists in: read (every bad outline reported with its line)
and write."""

from __future__ import annotations

import xml.parsers.expat
from collections.abc import Sequence
from pathlib import Path
from xml.sax.saxutils import quoteattr

from bot.ingest.feeds_yaml import check_url
from bot.types import DEFAULT_INTERVAL, Feed


def read_opml(path: Path, default_language: str | None = None) -> tuple[list[Feed], list[str]]:
    """The feeds of an OPML file and the problems found, each as ``name line N: what``."""
    feeds: list[Feed] = []
    problems: list[str] = []
    parser = xml.parsers.expat.ParserCreate()

    def start(tag: str, attrs: dict[str, str]) -> None:
        if tag != "outline" or "xmlUrl" not in attrs and attrs.get("type") != "rss":
            return
        line = parser.CurrentLineNumber
        url = (attrs.get("xmlUrl") or "").strip()
        name = (attrs.get("title") or attrs.get("text") or "").strip()
        language = (attrs.get("language") or default_language or "").split("-")[0].lower()
        if not url:
            problems.append(f"{path.name} line {line}: outline has no xmlUrl")
        elif (why := check_url(url)) is not None:
            problems.append(f"{path.name} line {line}: {why}")
        elif not language:
            problems.append(f"{path.name} line {line}: no language for {url} (give --lang)")
        else:
            feeds.append(Feed(name or url, url, language, DEFAULT_INTERVAL, line))

    parser.StartElementHandler = start
    try:
        parser.Parse(path.read_bytes(), True)
    except xml.parsers.expat.ExpatError as e:
        problems.append(f"{path.name} line {e.lineno}: not well-formed XML ({xml.parsers.expat.ErrorString(e.code)})")
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
