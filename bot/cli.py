"""The ``tieswatch`` command: every stage of the flow, usable by hand.

Global options (--feeds, --data) are accepted before or after the command name. Each command returns an
exit status: 0 all well, 1 something failed (the message says what), 2 wrong usage (the usage is shown).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from tabulate import tabulate

from bot.config import Config, load_config
from bot.errors import FeedsFileError, TieswatchError
from bot.feeds import Feed, format_duration, load_feeds
from bot.fetch import fetch, make_client
from bot.parse import parse_feed
from bot.poll import FeedResult, poll_feeds
from bot.store import Store

log = logging.getLogger("tieswatch")

Handler = Callable[[argparse.Namespace, Config], int]


def _now() -> datetime:
    return datetime.now(UTC)


def _ago(t: str | None, now: datetime) -> str:
    if not t:
        return "never"
    seconds = int((now - datetime.fromisoformat(t)).total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit} ago"
    return f"{max(seconds, 0)}s ago"


def _short(text: str | None, width: int = 60) -> str:
    if not text:
        return ""
    return text if len(text) <= width else text[: width - 1] + "…"


# ---------------------------------------------------------------- poll


def cmd_poll(args: argparse.Namespace, config: Config) -> int:
    """Fetch every feed once, store new items, print a table."""
    feeds = load_feeds(config.feeds_path)
    store = Store.open(config.db_path)
    try:
        results = asyncio.run(poll_feeds(feeds, store, config))
    finally:
        store.close()
    print(poll_table(results))
    failed = [r for r in results if not r.ok]
    new = sum(len(r.new_items) for r in results)
    print(f"\n{len(results)} feeds, {new} new items, {len(failed)} failed")
    return 1 if failed else 0


def poll_table(results: Sequence[FeedResult]) -> str:
    rows = [
        (
            r.feed.name,
            r.status if r.status is not None else "-",
            len(r.new_items),
            _short(r.error or (f"warning: {r.warning}" if r.warning else ""), 70),
            f"{r.elapsed:.2f}s",
        )
        for r in results
    ]
    return tabulate(rows, headers=("feed", "status", "new", "error", "time"), tablefmt="simple")


# ---------------------------------------------------------------- feeds


def cmd_feeds_list(args: argparse.Namespace, config: Config) -> int:
    """Show the feeds of feeds.yaml with their health."""
    feeds = load_feeds(config.feeds_path)
    store = Store.open(config.db_path)
    try:
        store.sync_feeds(feeds, _now())
        rows_by_url = {r["url"]: r for r in store.feed_rows()}
    finally:
        store.close()
    now = _now()
    rows = []
    for f in feeds:
        r = rows_by_url.get(f.url, {})
        streak = r.get("error_streak") or 0
        rows.append(
            (
                f.name,
                f.language,
                format_duration(f.interval),
                _ago(r.get("last_success"), now),
                streak,
                _short(r.get("last_error") if streak else "", 50),
                _short(f.url, 60),
            )
        )
    print(tabulate(rows, headers=("feed", "lang", "every", "last success", "errors", "last error", "url")))
    return 0


def cmd_feeds_check(args: argparse.Namespace, config: Config) -> int:
    """Fetch each feed (no validators, nothing stored) and say whether it is reachable and parses."""
    feeds = load_feeds(config.feeds_path)

    async def check_all() -> list[tuple]:
        sem = asyncio.Semaphore(config.concurrency)
        async with make_client(config) as client:

            async def one(feed: Feed) -> tuple:
                async with sem:
                    try:
                        r = await fetch(client, feed.url, max_bytes=config.max_bytes, deadline=config.timeout * 3)
                    except TieswatchError as e:
                        return (feed.name, "no", "-", "-", _short(str(getattr(e, "reason", e)), 70))
                    try:
                        parsed = await asyncio.to_thread(parse_feed, r.body, feed, r.headers, _now())
                    except TieswatchError as e:
                        return (feed.name, f"yes ({r.status})", "no", "-", _short(getattr(e, "reason", str(e)), 70))
                    note = f"warning: {parsed.warning}" if parsed.warning else ""
                    return (feed.name, f"yes ({r.status})", "yes", len(parsed.items), _short(note, 70))

            return list(await asyncio.gather(*(one(f) for f in feeds)))

    rows = asyncio.run(check_all())
    print(tabulate(rows, headers=("feed", "reachable", "parses", "items", "note")))
    bad = [r for r in rows if r[2] != "yes"]
    print(f"\n{len(rows) - len(bad)} of {len(rows)} feeds reachable and parsing")
    return 1 if bad else 0


# ---------------------------------------------------------------- argument parsing


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--feeds",
        metavar="PATH",
        default=argparse.SUPPRESS,
        help="feed list (env TIESWATCH_FEEDS, default ./feeds.yaml)",
    )
    common.add_argument(
        "--data", metavar="DIR", default=argparse.SUPPRESS, help="data directory (env TIESWATCH_DATA, default ./data)"
    )
    common.add_argument("-v", "--verbose", action="store_true", default=argparse.SUPPRESS, help="log more")

    parser = argparse.ArgumentParser(
        prog="tieswatch",
        parents=[common],
        description="Alerts on North Korea–Russia military ties, from news feeds to Telegram.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("poll", parents=[common], help="fetch the feeds and store new items")
    p.add_argument("--once", action="store_true", help="fetch every feed once and exit (required for now)")
    p.set_defaults(handler=cmd_poll, needs_once=True)

    feeds = sub.add_parser("feeds", parents=[common], help="look after the feed list")
    fsub = feeds.add_subparsers(dest="feeds_command", metavar="ACTION")
    fl = fsub.add_parser("list", parents=[common], help="the feeds and their health")
    fl.set_defaults(handler=cmd_feeds_list)
    fc = fsub.add_parser("check", parents=[common], help="fetch each feed and say whether it works")
    fc.set_defaults(handler=cmd_feeds_check)
    feeds.set_defaults(usage_of=feeds)

    for register in EXTRA_COMMANDS:
        register(sub, common)
    return parser


# Later stages add their commands here, so this module stays the one place the CLI is wired.
EXTRA_COMMANDS: list[Callable[[argparse._SubParsersAction, argparse.ArgumentParser], None]] = []


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if getattr(args, "verbose", False) else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    # httpx logs every request URL at INFO; with a Telegram token in the URL that would leak the secret.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    handler = getattr(args, "handler", None)
    if handler is None:
        (getattr(args, "usage_of", None) or parser).print_help(sys.stderr)
        return 2
    if getattr(args, "needs_once", False) and not args.once:
        print("tieswatch poll: use --once (continuous polling is `tieswatch run`)", file=sys.stderr)
        return 2
    try:
        config = load_config(getattr(args, "feeds", None), getattr(args, "data", None))
        return handler(args, config)
    except FeedsFileError as e:
        print(f"{e.path} has {len(e.problems)} problem(s):", file=sys.stderr)
        for problem in e.problems:
            print(f"  {problem}", file=sys.stderr)
        return 1
    except TieswatchError as e:
        print(f"tieswatch: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
