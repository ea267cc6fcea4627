"""``tieswatch search``: the stored items holding every word, newest first, through the full-text index."""

from __future__ import annotations

import argparse

from tabulate import tabulate

from bot.app.cli.common import opened, short
from bot.config import Config
from bot.errors import UsageError
from bot.store.search import fts_query


def cmd_search(args: argparse.Namespace, config: Config) -> int:
    words = " ".join(args.words)
    if fts_query(words) is None:
        raise UsageError(f"nothing to search for in {words!r}: give words (letters or digits)")
    offset = (args.page - 1) * args.limit
    with opened(config) as store:
        page = store.search_items(words, relevant_only=args.relevant, limit=args.limit, offset=offset)
    scope = "flagged item" if args.relevant else "stored item"
    if not page.found:
        print(f"no {scope} matches {words!r}" + (f" on page {args.page}" if page.total else ""))
        return 0
    table = [
        (
            f"{f.published:%Y-%m-%d %H:%M}",
            short(f.source, 20),
            f.language,
            "–" if f.score is None else f"{f.score:.2f}" + ("*" if f.relevant else ""),
            short(f.title or f.snippet.text, 70),
            f.link or "",
        )
        for f in page.found
    ]
    print(tabulate(table, headers=("published (UTC)", "source", "lang", "score", "title", "link")))
    last = page.offset + len(page.found)
    more = f"; next: --page {args.page + 1}" if last < page.total else ""
    print(f"{page.offset + 1}–{last} of {page.total} {scope}s matching {words!r}, newest first (* flagged){more}")
    return 0


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number from 1, not {text!r}")
    return int(text)


def add_commands(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    s = sub.add_parser("search", parents=[common], help="stored items holding every word (any language), newest first")
    s.add_argument("words", nargs="+", metavar="WORD", help="each must start a word of the item: Kursk, Курск, 북한")
    s.add_argument("--relevant", action="store_true", help="only the items the model flagged")
    s.add_argument("--limit", type=_positive, default=20, help="results a page (default 20)")
    s.add_argument("--page", type=_positive, default=1, help="which page (default 1)")
    s.set_defaults(handler=cmd_search)
