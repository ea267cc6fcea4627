"""``tieswatch poll`` and ``tieswatch feeds …``: polling by hand and looking after the feed list."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from pathlib import Path

from tabulate import tabulate

from bot.app.cli.common import ago, now, opened, short
from bot.config import Config
from bot.errors import FeedError, UsageError
from bot.ingest import tuning
from bot.ingest.feeds_yaml import format_duration, load_feeds, parse_duration
from bot.ingest.fetch import fetch, make_client
from bot.ingest.opml import write_opml
from bot.ingest.parse import parse_feed
from bot.types import Feed, FeedResult


def cmd_poll(args: argparse.Namespace, config: Config) -> int:
    """Poll every feed once through fetch | parse | store | classify | decide; print a table.

    Alerts are queued in the outbox: a running bot (or the next `tieswatch run`) delivers them.
    """
    from bot.learn.score import Classifier
    from bot.pipeline import Pipeline

    feeds = load_feeds(config.feeds_path)
    with opened(config) as store:
        pipeline = Pipeline(config, store, Classifier(config.models_dir), sink=None)
        try:
            report = asyncio.run(pipeline.poll(feeds, only_due=False))
        finally:
            pipeline.close()
    print(poll_table(report.results))
    failed = [r for r in report.results if not r.ok]
    print(
        f"\n{len(report.results)} feeds, {report.new_items} new items, {len(failed)} failed; "
        f"{report.alerts} alerts, {report.queued} deliveries queued"
    )
    for notice in report.notices:
        print(notice, file=sys.stderr)
    return 1 if failed else 0


def poll_table(results: Sequence[FeedResult]) -> str:
    rows = [
        (
            r.feed.name,
            r.status if r.status is not None else "-",
            r.new,
            short(r.error or (f"warning: {r.warning}" if r.warning else ""), 70),
            f"{r.elapsed:.2f}s",
        )
        for r in results
    ]
    return tabulate(rows, headers=("feed", "status", "new", "error", "time"), tablefmt="simple")


def cmd_feeds_list(args: argparse.Namespace, config: Config) -> int:
    """The feeds of feeds.yaml: health, and usefulness over the last 30 days."""
    feeds = load_feeds(config.feeds_path)
    with opened(config) as store:
        store.sync_feeds(feeds, now())
        useful = tuning.usefulness(store, feeds, now())
    at = now()
    rows = []
    for u in useful:
        state = "paused" if u.paused else ("failing" if u.error_streak else "ok")
        last = u.last_relevant.strftime("%Y-%m-%d") if u.last_relevant else "-"
        rows.append(
            (
                u.feed.name,
                u.feed.language,
                format_duration(u.feed.interval),
                state,
                ago(u.last_success, at),
                u.error_streak,
                f"{u.items_per_day:.1f}",
                f"{u.relevant_share:.0%}",
                last,
                short(u.last_error if u.error_streak else "", 40),
                short(u.feed.url, 50),
            )
        )
    headers = ("feed", "lang", "every", "state", "last success", "errors", "items/day", "flagged", "last flagged")
    print(tabulate(rows, headers=(*headers, "last error", "url")))
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
                    except FeedError as e:
                        return (feed.name, "no", "-", "-", short(e.reason, 70))
                    try:
                        parsed = await asyncio.to_thread(parse_feed, r.body, feed, r.headers, now())
                    except FeedError as e:
                        return (feed.name, f"yes ({r.status})", "no", "-", short(e.reason, 70))
                    note = f"warning: {parsed.warning}" if parsed.warning else ""
                    return (feed.name, f"yes ({r.status})", "yes", len(parsed.items), short(note, 70))

            return list(await asyncio.gather(*(one(f) for f in feeds)))

    rows = asyncio.run(check_all())
    print(tabulate(rows, headers=("feed", "reachable", "parses", "items", "note")))
    bad = [r for r in rows if r[2] != "yes"]
    print(f"\n{len(rows) - len(bad)} of {len(rows)} feeds reachable and parsing")
    return 1 if bad else 0


def cmd_feeds_add(args: argparse.Namespace, config: Config) -> int:
    """Fetch the URL once (a web page is searched for its feed) and append the feed to feeds.yaml."""
    try:
        interval = parse_duration(args.interval) if args.interval else None
    except ValueError:
        raise UsageError(f"--interval must look like 90s, 10m or 1h, not {args.interval!r}") from None
    feed, count = asyncio.run(tuning.add(config, args.url, args.name, args.lang, interval))
    print(
        f"added '{feed.name}' ({feed.language}, every {format_duration(feed.interval)}): {feed.url} holds {count} items"
    )
    return 0


def cmd_feeds_remove(args: argparse.Namespace, config: Config) -> int:
    feed = tuning.remove(config, args.which)
    print(f"removed '{feed.name}' ({feed.url})")
    return 0


def cmd_feeds_resume(args: argparse.Namespace, config: Config) -> int:
    with opened(config) as store:
        feed = tuning.resume(config, store, args.which, now())
    print(f"resumed '{feed.name}': polled again from the next round")
    return 0


def cmd_feeds_import(args: argparse.Namespace, config: Config) -> int:
    added, problems = tuning.import_opml(config, Path(args.file), args.lang)
    for feed in added:
        print(f"added '{feed.name}' ({feed.language}): {feed.url}")
    for problem in problems:
        print(problem, file=sys.stderr)
    print(f"{len(added)} feeds added, {len(problems)} problems")
    return 1 if problems else 0


def cmd_feeds_export(args: argparse.Namespace, config: Config) -> int:
    sys.stdout.write(write_opml(load_feeds(config.feeds_path)))
    return 0


def add_commands(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("poll", parents=[common], help="fetch the feeds and store new items")
    p.add_argument("--once", action="store_true", help="fetch every feed once and exit (required for now)")
    p.set_defaults(handler=cmd_poll, needs_once=True)

    feeds = sub.add_parser("feeds", parents=[common], help="look after the feed list")
    fsub = feeds.add_subparsers(dest="feeds_command", metavar="ACTION")
    fsub.add_parser("list", parents=[common], help="the feeds and their health").set_defaults(handler=cmd_feeds_list)
    fsub.add_parser("check", parents=[common], help="fetch each feed and say whether it works").set_defaults(
        handler=cmd_feeds_check
    )
    fa = fsub.add_parser("add", parents=[common], help="add a feed (or a web page announcing one), validated")
    fa.add_argument("url")
    fa.add_argument("--name")
    fa.add_argument("--lang", help="language code; default: what the feed says")
    fa.add_argument("--interval", help="90s, 10m, 1h (default 10m)")
    fa.set_defaults(handler=cmd_feeds_add)
    fr = fsub.add_parser("remove", parents=[common], help="remove a feed by url or name")
    fr.add_argument("which", metavar="URL_OR_NAME")
    fr.set_defaults(handler=cmd_feeds_remove)
    fu = fsub.add_parser("resume", parents=[common], help="poll a paused feed again")
    fu.add_argument("which", metavar="URL_OR_NAME")
    fu.set_defaults(handler=cmd_feeds_resume)
    fi = fsub.add_parser("import", parents=[common], help="add the feeds of an OPML file")
    fi.add_argument("file", metavar="OPML")
    fi.add_argument("--lang", help="language for outlines that do not say theirs")
    fi.set_defaults(handler=cmd_feeds_import)
    fsub.add_parser("export", parents=[common], help="the feed list as OPML on standard output").set_defaults(
        handler=cmd_feeds_export
    )
    feeds.set_defaults(usage_of=feeds)
