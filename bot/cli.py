"""The ``tieswatch`` command: every stage of the flow, usable by hand.

Global options (--feeds, --data) are accepted before or after the command name. Each command returns an
exit status: 0 all well, 1 something failed (the message says what), 2 wrong usage (the usage is shown).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from tabulate import tabulate

from bot.config import Config, load_config
from bot.errors import FeedsFileError, TieswatchError, UsageError
from bot.feeds import Feed, format_duration, load_feeds
from bot.fetch import fetch, make_client
from bot.parse import parse_feed
from bot.poll import FeedResult
from bot.store import Store

log = logging.getLogger("tieswatch")



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
    """Poll every feed once through fetch | parse | store | classify | decide; print a table.

    Alerts are queued in the outbox: a running bot (or the next `tieswatch run`) delivers them.
    """
    from bot.classify import Classifier
    from bot.pipeline import Pipeline

    feeds = load_feeds(config.feeds_path)
    store = Store.open(config.db_path)
    try:
        pipeline = Pipeline(config, store, Classifier(config.models_dir), sink=None)
        report = asyncio.run(pipeline.poll(feeds, only_due=False))
    finally:
        store.close()
    print(poll_table(report.results))
    failed = [r for r in report.results if not r.ok]
    print(
        f"\n{len(report.results)} feeds, {report.new_items} new items, {len(failed)} failed; "
        f"{len(report.alerts)} alerts, {report.queued} deliveries queued"
    )
    for notice in report.notices:
        print(notice, file=sys.stderr)
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
    """The feeds of feeds.yaml: health, and usefulness over the last 30 days."""
    from bot import feedlist

    feeds = load_feeds(config.feeds_path)
    store = Store.open(config.db_path)
    try:
        store.sync_feeds(feeds, _now())
        rows_by_url = {r["url"]: r for r in store.feed_rows()}
        useful = feedlist.usefulness(store, feeds, _now())
    finally:
        store.close()
    now = _now()
    rows = []
    for u in useful:
        r = rows_by_url.get(u.feed.url, {})
        state = "paused" if u.paused else ("failing" if u.error_streak else "ok")
        last = u.last_relevant.strftime("%Y-%m-%d") if u.last_relevant else "-"
        rows.append(
            (
                u.feed.name,
                u.feed.language,
                format_duration(u.feed.interval),
                state,
                _ago(r.get("last_success"), now),
                u.error_streak,
                f"{u.items_per_day:.1f}",
                f"{u.relevant_share:.0%}",
                last,
                _short(u.last_error if u.error_streak else "", 40),
                _short(u.feed.url, 50),
            )
        )
    print(
        tabulate(
            rows,
            headers=(
                "feed",
                "lang",
                "every",
                "state",
                "last success",
                "errors",
                "items/day",
                "flagged",
                "last flagged",
                "last error",
                "url",
            ),
        )
    )
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


# ---------------------------------------------------------------- classify, train, evaluate, model


def _model(config: Config):
    from classifier import registry

    return registry.ensure_model(config.models_dir)


def _prediction_json(item_id: object, prediction) -> str:
    return json.dumps(
        {
            "id": item_id,
            "score": round(prediction.score, 4),
            "relevant": prediction.relevant,
            "why": list(prediction.why),
            "excerpt": prediction.excerpt.text,
            "marks": [list(m) for m in prediction.excerpt.marks],
        },
        ensure_ascii=False,
    )


def cmd_classify(args: argparse.Namespace, config: Config) -> int:
    """JSON Lines (or plain text files with --text) in, one JSON line per input out, in order."""
    from classifier.corpus import BadLine, body_of, parse_records

    model = _model(config)
    if args.text:
        status = 0
        for name in args.files:
            try:
                raw = Path(name).read_text(encoding="utf-8")
            except OSError as e:
                print(f"{name}: cannot read ({e.strerror})", file=sys.stderr)
                status = 1
                continue
            title, _, body = raw.partition("\n")
            (prediction,) = model.predict([(title.strip(), body)])
            print(_prediction_json(name, prediction))
        return status
    if len(args.files) > 1:
        print("tieswatch classify: give one JSON Lines FILE (or use --text for text files)", file=sys.stderr)
        return 2
    source = args.files[0] if args.files else "-"
    stream = sys.stdin if source == "-" else open(source, encoding="utf-8")  # noqa: SIM115
    label = "stdin" if source == "-" else source
    bad = 0
    batch: list[tuple[object, tuple[str, str]]] = []

    def flush() -> None:
        predictions = model.predict([pair for _, pair in batch])
        for (item_id, _), prediction in zip(batch, predictions, strict=True):
            print(_prediction_json(item_id, prediction))
        batch.clear()

    with stream:
        for n, record in parse_records(stream, need_label=False):
            if isinstance(record, BadLine):
                flush()  # keep the output in input order around the bad line
                print(f"{label} line {n}: {record.reason}", file=sys.stderr)
                bad += 1
                continue
            batch.append((record.get("id", n), (str(record.get("title") or ""), body_of(record))))
            if len(batch) >= 512:
                flush()
        flush()
    if bad:
        print(f"{bad} line(s) could not be classified", file=sys.stderr)
    return 1 if bad else 0


def _eval_sets(args: argparse.Namespace) -> list[Path]:
    if args.labelled:
        return [Path(p) for p in args.labelled]
    checkout = Path(__file__).resolve().parent.parent
    for shared in (Path.cwd().parent / "shared" / "eval", checkout.parent / "shared" / "eval"):
        found = [shared / "dev.jsonl", shared / "dev-pages.jsonl"]
        if all(p.exists() for p in found):
            return found
    raise UsageError("no evaluation data: give --data FILE (JSON Lines with title, summary or text, label)")


def cmd_train(args: argparse.Namespace, config: Config) -> int:
    """Train on the bundled corpus (plus --data files), save the model and put it in use."""
    from classifier import registry
    from classifier.corpus import bundled_examples, read_examples
    from classifier.model import train

    examples = bundled_examples()
    for path in args.labelled or []:
        examples += read_examples(Path(path))
    model = train(examples)
    path = registry.save(config.models_dir, model, make_current=True)
    card = model.card
    cv = card["metrics"]["cross_validated"]
    print(
        f"model {model.version}: {card['examples']} examples ({card['positives']} positive), "
        f"trained in {card['training_seconds']} s"
    )
    print(f"  thresholds: {card['thresholds']}")
    print(f"  cross-validated at the threshold: P {cv['precision']:.3f}  R {cv['recall']:.3f}  F1 {cv['f1']:.3f}")
    print(f"  saved to {path} ({path.stat().st_size / 1e6:.1f} MB) and now in use")
    return 0


def cmd_evaluate(args: argparse.Namespace, config: Config) -> int:
    """Report precision, recall, F1, per language, confusion matrix, errors, keyword baselines, PR curve."""
    from classifier.corpus import read_examples
    from classifier.evaluate import evaluate, format_report, plot_pr_curves

    model = _model(config)
    curves = []
    print(f"model {model.version}, threshold {model.threshold:.3f}\n")
    for path in _eval_sets(args):
        report = evaluate(model, read_examples(path), path.name)
        print(format_report(report, show_errors=args.errors))
        print()
        curves.append((path.stem, report.labels, report.scores))
    png = Path(args.png) if args.png else config.data_dir / "reports" / f"pr-{model.version}.png"
    plot_pr_curves(curves, png, f"tieswatch model {model.version}")
    print(f"precision–recall curve: {png}")
    return 0


def cmd_model_list(args: argparse.Namespace, config: Config) -> int:
    from classifier import registry

    rows = []
    for info in registry.list_models(config.models_dir):
        cv = info.card.get("metrics", {}).get("cross_validated", {})
        rows.append(
            (
                "*" if info.current else "",
                info.version,
                info.card.get("examples"),
                f"{info.card.get('threshold', 0):.3f}",
                cv.get("precision"),
                cv.get("recall"),
                cv.get("f1"),
                info.card.get("data_hash"),
            )
        )
    if not rows:
        print("no models yet (one is trained on first start, or run `tieswatch train`)")
        return 0
    print(tabulate(rows, headers=("", "version", "examples", "threshold", "P", "R", "F1", "data")))
    return 0


def cmd_model_use(args: argparse.Namespace, config: Config) -> int:
    from classifier import registry

    try:
        registry.set_current(config.models_dir, args.version)
    except registry.NoModel as e:
        known = ", ".join(m.version for m in registry.list_models(config.models_dir)) or "none"
        raise UsageError(f"{e} (versions: {known})") from None
    print(f"model {args.version} is now in use")
    return 0


def cmd_feeds_add(args: argparse.Namespace, config: Config) -> int:
    """Fetch the URL once (a web page is searched for its feed) and append the feed to feeds.yaml."""
    from bot import feedlist
    from bot.feeds import parse_duration

    try:
        interval = parse_duration(args.interval) if args.interval else None
    except ValueError:
        raise UsageError(f"--interval must look like 90s, 10m or 1h, not {args.interval!r}") from None
    feed, count = asyncio.run(feedlist.add(config, args.url, args.name, args.lang, interval))
    print(
        f"added '{feed.name}' ({feed.language}, every {format_duration(feed.interval)}): {feed.url} holds {count} items"
    )
    return 0


def cmd_feeds_remove(args: argparse.Namespace, config: Config) -> int:
    from bot import feedlist

    feed = feedlist.remove(config, args.which)
    print(f"removed '{feed.name}' ({feed.url})")
    return 0


def cmd_feeds_resume(args: argparse.Namespace, config: Config) -> int:
    from bot import feedlist

    store = Store.open(config.db_path)
    try:
        feed = feedlist.resume(config, store, args.which, _now())
    finally:
        store.close()
    print(f"resumed '{feed.name}': polled again from the next round")
    return 0


def cmd_feeds_import(args: argparse.Namespace, config: Config) -> int:
    from bot import feedlist

    added, problems = feedlist.import_opml(config, Path(args.file), args.lang)
    for feed in added:
        print(f"added '{feed.name}' ({feed.language}): {feed.url}")
    for problem in problems:
        print(problem, file=sys.stderr)
    print(f"{len(added)} feeds added, {len(problems)} problems")
    return 1 if problems else 0


def cmd_feeds_export(args: argparse.Namespace, config: Config) -> int:
    from bot.opml import write_opml

    sys.stdout.write(write_opml(load_feeds(config.feeds_path)))
    return 0


# ---------------------------------------------------------------- labels, retrain


def cmd_labels_import(args: argparse.Namespace, config: Config) -> int:
    from bot.labels import import_labels

    store = Store.open(config.db_path)
    try:
        report = import_labels(store, Path(args.file), _now())
    finally:
        store.close()
    for error in report.errors:
        print(error, file=sys.stderr)
    print(
        f"{report.imported} labels imported ({report.created_items} items new to the bot), "
        f"{len(report.errors)} rows skipped"
    )
    return 1 if report.errors else 0


def cmd_labels_export(args: argparse.Namespace, config: Config) -> int:
    from bot.labels import export_rows

    store = Store.open(config.db_path)
    try:
        for row in export_rows(store):
            print(json.dumps(row, ensure_ascii=False))
    finally:
        store.close()
    return 0


def cmd_retrain(args: argparse.Namespace, config: Config) -> int:
    """Train a candidate on the corpus plus labels; promote it only if it is not worse (or --force)."""
    from bot.retrain import retrain

    store = Store.open(config.db_path)
    try:
        report = retrain(
            store,
            config.models_dir,
            config.data_dir / "reports",
            _now(),
            force=args.force,
            margin=config.promote_margin if args.margin is None else args.margin,
            trigger="cli",
        )
    finally:
        store.close()
    print(report.text())
    return 0


# ---------------------------------------------------------------- run, demo, subscribers


def cmd_run(args: argparse.Namespace, config: Config) -> int:
    """The bot: scheduler, pipeline and outbox; Telegram when TELEGRAM_BOT_TOKEN is set, else the terminal."""
    from bot.run import run

    load_feeds(config.feeds_path)  # a broken feeds.yaml is reported before anything starts
    return run(config)


def cmd_demo(args: argparse.Namespace, config: Config) -> int:
    """Sample feeds on loopback through the real pipeline, alerts printed; needs no token and no network."""
    from bot.run import demo

    return demo(config)


def cmd_subscribers_add(args: argparse.Namespace, config: Config) -> int:
    from bot import subscribers

    store = Store.open(config.db_path)
    try:
        kind = "channel" if args.chat_id < 0 and str(args.chat_id).startswith("-100") else args.kind
        sub, new = subscribers.subscribe(store, args.chat_id, kind, args.title or "", args.lang, _now())
    finally:
        store.close()
    print(f"chat {sub.chat_id} ({sub.kind}) {'subscribed' if new else 'subscribed again'}")
    return 0


def cmd_subscribers_list(args: argparse.Namespace, config: Config) -> int:
    from bot import subscribers

    store = Store.open(config.db_path)
    try:
        rows = [subscribers.from_row(r) for r in store.subscriber_rows(active_only=False)]
    finally:
        store.close()
    table = [
        (
            s.chat_id,
            s.kind,
            _short(s.title, 30),
            "yes" if s.active else "no",
            s.sensitivity,
            ",".join(s.languages) or "all",
            s.mode,
            s.ui_language,
        )
        for s in rows
    ]
    print(tabulate(table, headers=("chat", "kind", "title", "active", "sensitivity", "languages", "mode", "ui")))
    return 0


def cmd_subscribers_remove(args: argparse.Namespace, config: Config) -> int:
    store = Store.open(config.db_path)
    try:
        found = store.set_active(args.chat_id, False, _now())
    finally:
        store.close()
    if not found:
        print(f"tieswatch: chat {args.chat_id} is not a subscriber", file=sys.stderr)
        return 1
    print(f"chat {args.chat_id} unsubscribed")
    return 0


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
    # train and evaluate take --data FILE (labelled data); their data directory comes before the command
    # (tieswatch --data DIR evaluate --data FILE) or from TIESWATCH_DATA.
    feeds_only = argparse.ArgumentParser(add_help=False)
    feeds_only.add_argument("--feeds", metavar="PATH", default=argparse.SUPPRESS, help="feed list")
    feeds_only.add_argument("-v", "--verbose", action="store_true", default=argparse.SUPPRESS, help="log more")

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

    lb = sub.add_parser("labels", parents=[common], help="labelled items for retraining")
    lsub = lb.add_subparsers(dest="labels_command", metavar="ACTION")
    li = lsub.add_parser("import", parents=[common], help="CSV or JSON Lines: link or id, label (title, summary)")
    li.add_argument("file")
    li.set_defaults(handler=cmd_labels_import)
    lsub.add_parser("export", parents=[common], help="resolved labels as JSON Lines").set_defaults(
        handler=cmd_labels_export
    )
    lb.set_defaults(usage_of=lb)

    rt = sub.add_parser("retrain", parents=[common], help="retrain on the corpus and labels; promote if not worse")
    rt.add_argument("--force", action="store_true", help="promote the candidate whatever it scores")
    rt.add_argument("--margin", type=float, help="precision the candidate may lose (default 0.02)")
    rt.set_defaults(handler=cmd_retrain)

    r = sub.add_parser("run", parents=[common], help="run the bot (console alerts without TELEGRAM_BOT_TOKEN)")
    r.set_defaults(handler=cmd_run)
    d = sub.add_parser("demo", parents=[common], help="sample feeds through the real pipeline, no network needed")
    d.set_defaults(handler=cmd_demo)

    sb = sub.add_parser("subscribers", parents=[common], help="chats that receive alerts")
    sbsub = sb.add_subparsers(dest="subscribers_command", metavar="ACTION")
    sa = sbsub.add_parser("add", parents=[common], help="subscribe a chat or channel by id")
    sa.add_argument("chat_id", type=int)
    sa.add_argument("--kind", choices=("private", "group", "supergroup", "channel"), default="channel")
    sa.add_argument("--title", default="")
    sa.add_argument("--lang", choices=("en", "it"), default="en", help="the bot's language in that chat")
    sa.set_defaults(handler=cmd_subscribers_add)
    sbsub.add_parser("list", parents=[common], help="every chat, active or not").set_defaults(
        handler=cmd_subscribers_list
    )
    sr = sbsub.add_parser("remove", parents=[common], help="unsubscribe a chat")
    sr.add_argument("chat_id", type=int)
    sr.set_defaults(handler=cmd_subscribers_remove)
    sb.set_defaults(usage_of=sb)

    c = sub.add_parser("classify", parents=[common], help="score JSON Lines (or text files) as relevant or not")
    c.add_argument("files", nargs="*", metavar="FILE", help="JSON Lines file (default: standard input)")
    c.add_argument("--text", action="store_true", help="FILEs are plain text: first line title, the rest body")
    c.set_defaults(handler=cmd_classify)

    t = sub.add_parser("train", parents=[feeds_only], help="train the model on the bundled corpus and use it")
    t.add_argument(
        "--data", dest="labelled", action="append", metavar="FILE", help="extra labelled JSON Lines to train on"
    )
    t.set_defaults(handler=cmd_train)

    e = sub.add_parser("evaluate", parents=[feeds_only], help="quality report of the model in use")
    e.add_argument(
        "--data",
        dest="labelled",
        action="append",
        metavar="FILE",
        help="labelled JSON Lines (default: ../shared/eval/dev.jsonl and dev-pages.jsonl)",
    )
    e.add_argument("--png", metavar="PATH", help="where to save the precision–recall curve")
    e.add_argument("--errors", type=int, default=30, metavar="N", help="misclassified items to list")
    e.set_defaults(handler=cmd_evaluate)

    m = sub.add_parser("model", parents=[common], help="model versions")
    msub = m.add_subparsers(dest="model_command", metavar="ACTION")
    msub.add_parser("list", parents=[common], help="every version with its metrics").set_defaults(
        handler=cmd_model_list
    )
    mu = msub.add_parser("use", parents=[common], help="put a version in use (roll back or forward)")
    mu.add_argument("version")
    mu.set_defaults(handler=cmd_model_use)
    m.set_defaults(usage_of=m)

    return parser


class _Redact(logging.Filter):
    """Replaces a secret in every log record, whatever library wrote it (a token sits in Bot API URLs)."""

    def __init__(self, secret: str):
        super().__init__()
        self.secret = secret

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if self.secret in message:
            record.msg, record.args = message.replace(self.secret, "<TELEGRAM_BOT_TOKEN>"), None
        return True


def redact_secret(secret: str) -> None:
    for handler in logging.getLogger().handlers:
        handler.addFilter(_Redact(secret))


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
        if config.telegram_token:
            redact_secret(config.telegram_token)
        return handler(args, config)
    except FeedsFileError as e:
        print(f"{e.path} has {len(e.problems)} problem(s):", file=sys.stderr)
        for problem in e.problems:
            print(f"  {problem}", file=sys.stderr)
        return 1
    except UsageError as e:
        print(f"tieswatch: {e}", file=sys.stderr)
        return 2
    except TieswatchError as e:
        print(f"tieswatch: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
