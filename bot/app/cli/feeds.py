"""``tieswatch poll`` and ``tieswatch feeds …``: polling by hand and looking after the feed list."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from pathlib import Path

from tabulate import tabulate

from bot.app.cli.common import add_json_option, ago, emit, now, opened, short, until
from bot.config import Config
from bot.errors import FeedError, UsageError
from bot.ingest import tuning
from bot.ingest.feeds_yaml import check_interval, format_duration, language_code, load_feeds
from bot.ingest.fetch import fetch, make_client
from bot.ingest.opml import write_opml
from bot.ingest.parse import parse_feed
from bot.types import Feed, FeedResult


def cmd_poll(args: argparse.Namespace, config: Config) -> int:
    """Poll every feed once through fetch | parse | store | classify | decide; print a table.

    Alerts are queued in the outbox: a running bot (or the next `tieswatch run`) delivers them.
    """
    from bot.app.progress import counting
    from bot.learn.score import Classifier
    from bot.pipeline import Pipeline

    feeds = load_feeds(config.feeds_path, config.min_interval)
    with opened(config) as store, counting("polling", len(feeds)) as bar:
        pipeline = Pipeline(config, store, Classifier(config.models_dir), sink=None)
        try:
            report = asyncio.run(pipeline.poll(feeds, only_due=False, done=lambda _: bar.update(1)))
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
    """The feeds of feeds.yaml: health, next try, and usefulness over the last 30 days (fits 100 columns;
    --wide adds the last flagged item, the last error and the url)."""
    feeds = load_feeds(config.feeds_path, config.min_interval)
    with opened(config, read_only=True) as store:
        store.sync_feeds(feeds, now())
        useful = tuning.usefulness(store, feeds, now())
    at = now()
    rows, records = [], []
    for u in useful:
        state = "paused" if u.paused else ("failing" if u.error_streak else "ok")
        last = u.last_relevant.strftime("%Y-%m-%d") if u.last_relevant else "-"
        next_try = "-" if u.paused else until(u.next_attempt, at)
        row = [
            short(u.feed.name, 20),
            u.feed.language,
            format_duration(u.feed.interval),
            state,
            ago(u.last_success, at),
            u.error_streak,
            f"{u.items_per_day:.1f}",
            f"{u.relevant_share:.0%}",
            next_try,
        ]
        if args.wide:
            row[0] = u.feed.name
            row += [last, u.last_error if u.error_streak else "", u.feed.url]
        rows.append(row)
        records.append(
            {
                "name": u.feed.name,
                "url": u.feed.url,
                "language": u.feed.language,
                "interval": u.feed.interval,
                "state": state,
                "last_success": u.last_success,
                "error_streak": u.error_streak,
                "last_error": u.last_error if u.error_streak else None,
                "next_attempt": None if u.paused else (u.next_attempt or at),
                "items_per_day": round(u.items_per_day, 2),
                "flagged_share": round(u.relevant_share, 3),
                "last_flagged": u.last_relevant,
            }
        )
    headers = ["feed", "lang", "every", "state", "last ok", "errors", "/day", "flagged", "next try"]
    emit(args, headers + (["last flagged", "last error", "url"] if args.wide else []), rows, records)
    return 0


def cmd_feeds_check(args: argparse.Namespace, config: Config) -> int:
    """Fetch each feed (no validators, nothing stored) and say whether it is reachable and parses."""
    feeds = load_feeds(config.feeds_path, config.min_interval)

    async def check_all() -> list[tuple]:
        sem = asyncio.Semaphore(config.concurrency)
        async with make_client(config) as client:

            async def one(feed: Feed) -> tuple:
                async with sem:
                    try:
                        r = await fetch(client, feed.url, max_bytes=config.max_bytes, deadline=config.timeout * 3)
                    except FeedError as e:
                        return (feed, None, False, None, e.reason)
                    try:
                        parsed = await asyncio.to_thread(parse_feed, r.body, feed, r.headers, now())
                    except FeedError as e:
                        return (feed, r.status, False, None, e.reason)
                    return (
                        feed,
                        r.status,
                        True,
                        len(parsed.items),
                        f"warning: {parsed.warning}" if parsed.warning else "",
                    )

            return list(await asyncio.gather(*(one(f) for f in feeds)))

    checked = asyncio.run(check_all())
    rows = [
        (
            short(f.name, 30),
            "no" if status is None else f"yes ({status})",
            "yes" if ok else "no",
            n if ok else "-",
            short(note, 50),
        )
        for f, status, ok, n, note in checked
    ]
    records = [
        {"name": f.name, "url": f.url, "status": status, "parses": ok, "items": n, "note": note or None}
        for f, status, ok, n, note in checked
    ]
    emit(args, ("feed", "reachable", "parses", "items", "note"), rows, records)
    bad = [r for r in checked if not r[2]]
    if not args.json:
        print(f"\n{len(checked) - len(bad)} of {len(checked)} feeds reachable and parsing")
    return 1 if bad else 0


def cmd_feeds_add(args: argparse.Namespace, config: Config) -> int:
    """Fetch the URL once (a web page is searched for its feed) and append the feed to feeds.yaml."""
    try:
        interval = check_interval(args.interval, config.min_interval) if args.interval else None
    except ValueError as e:
        raise UsageError(f"--interval: {e}") from None
    try:
        language = language_code(args.lang) if args.lang else None
    except ValueError as e:
        raise UsageError(f"--lang: {e}") from None
    feed, count = asyncio.run(tuning.add(config, args.url, args.name, language, interval))
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
        feed, was_paused = tuning.resume(config, store, args.which, now())
    if not was_paused:
        print(f"'{feed.name}' is not paused: nothing to resume (it is polled as usual)")
        return 0
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
    sys.stdout.write(write_opml(load_feeds(config.feeds_path, config.min_interval)))
    return 0


def add_commands(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("poll", parents=[common], help="fetch the feeds and store new items")
    p.add_argument("--once", action="store_true", help="fetch every feed once and exit (required for now)")
    p.set_defaults(handler=cmd_poll, needs_once=True)

    feeds = sub.add_parser("feeds", parents=[common], help="look after the feed list")
    fsub = feeds.add_subparsers(dest="feeds_command", metavar="ACTION")
    fl = fsub.add_parser("list", parents=[common], help="the feeds, their health and their next try")
    fl.add_argument("--wide", action="store_true", help="also the last flagged item, the last error and the url")
    add_json_option(fl)
    fl.set_defaults(handler=cmd_feeds_list)
    fc = fsub.add_parser("check", parents=[common], help="fetch each feed and say whether it works")
    add_json_option(fc)
    fc.set_defaults(handler=cmd_feeds_check)
    fa = fsub.add_parser("add", parents=[common], help="add a feed (or a web page announcing one), validated")
    fa.add_argument("url", help="the feed's address, or a web page that announces its feed")
    fa.add_argument("--name", help="how tables and alerts call it (default: the feed's own title)")
    fa.add_argument("--lang", help="ISO 639-1 language code such as it, en, ko (default: what the feed says)")
    fa.add_argument("--interval", help="time between polls, 1m to 1d: 90s, 10m, 1h (default 10m)")
    fa.set_defaults(handler=cmd_feeds_add)
    fr = fsub.add_parser("remove", parents=[common], help="remove a feed by url or name")
    fr.add_argument("which", metavar="URL_OR_NAME", help="the feed's url or name (any case)")
    fr.set_defaults(handler=cmd_feeds_remove)
    fu = fsub.add_parser("resume", parents=[common], help="poll a paused feed again")
    fu.add_argument("which", metavar="URL_OR_NAME", help="the feed's url or name (any case)")
    fu.set_defaults(handler=cmd_feeds_resume)
    fi = fsub.add_parser("import", parents=[common], help="add the feeds of an OPML file")
    fi.add_argument("file", metavar="OPML", help="an OPML feed list, as feed readers export it")
    fi.add_argument("--lang", help="ISO 639-1 code for outlines that do not say their language")
    fi.set_defaults(handler=cmd_feeds_import)
    fsub.add_parser("export", parents=[common], help="the feed list as OPML on standard output").set_defaults(
        handler=cmd_feeds_export
    )
    feeds.set_defaults(usage_of=feeds)
