"""``tieswatch run``, ``demo`` and ``subscribers …``: the running bot and who it sends to."""

from __future__ import annotations

import argparse
import sys

from tabulate import tabulate

from bot.app.cli.common import now, opened, short
from bot.config import Config
from bot.ingest.feeds_yaml import load_feeds


def cmd_run(args: argparse.Namespace, config: Config) -> int:
    """The bot: scheduler, pipeline and outbox; Telegram when TELEGRAM_BOT_TOKEN is set, else the terminal."""
    from bot.app.run import run

    load_feeds(config.feeds_path, config.min_interval)  # a broken feeds.yaml is reported before anything starts
    return run(config)


def cmd_demo(args: argparse.Namespace, config: Config) -> int:
    """Sample feeds on loopback through the real pipeline, alerts printed; needs no token and no network."""
    from bot.app.demo import demo

    return demo(config)


def cmd_subscribers_add(args: argparse.Namespace, config: Config) -> int:
    from bot.deliver.subscriptions import subscribe

    with opened(config) as store:
        kind = "channel" if args.chat_id < 0 and str(args.chat_id).startswith("-100") else args.kind
        sub, new = subscribe(store, args.chat_id, kind, args.title or "", args.lang, now())
    print(f"chat {sub.chat_id} ({sub.kind}) {'subscribed' if new else 'subscribed again'}")
    return 0


def cmd_subscribers_list(args: argparse.Namespace, config: Config) -> int:
    with opened(config) as store:
        subs = store.subscribers(active_only=False)
    table = [
        (
            s.chat_id,
            s.kind,
            short(s.title, 30),
            "yes" if s.active else "no",
            s.sensitivity,
            ",".join(s.languages) or "all",
            s.mode,
            s.ui_language,
        )
        for s in subs
    ]
    print(tabulate(table, headers=("chat", "kind", "title", "active", "sensitivity", "languages", "mode", "ui")))
    return 0


def cmd_subscribers_remove(args: argparse.Namespace, config: Config) -> int:
    with opened(config) as store:
        found = store.set_active(args.chat_id, False, now())
    if not found:
        print(f"tieswatch: chat {args.chat_id} is not a subscriber", file=sys.stderr)
        return 1
    print(f"chat {args.chat_id} unsubscribed")
    return 0


def add_commands(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
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
