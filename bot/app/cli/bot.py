"""``tieswatch run``, ``demo`` and ``subscribers …``: the running bot and who it sends to."""

from __future__ import annotations

import argparse
import sys

from bot.app.cli.common import add_json_option, emit, now, opened, short
from bot.config import Config
from bot.errors import UsageError
from bot.ingest.feeds_yaml import load_feeds


def cmd_run(args: argparse.Namespace, config: Config) -> int:
    """The bot: scheduler, pipeline and outbox; Telegram when TELEGRAM_BOT_TOKEN is set, else the terminal."""
    from bot.app.run import run

    load_feeds(config.feeds_path, config.min_interval)  # a broken feeds.yaml is reported before anything starts
    return run(config)


def cmd_health(args: argparse.Namespace, config: Config) -> int:
    """Exit 0 while a `tieswatch run` on this data directory is ticking (its heartbeat is recent), else 1."""
    from bot.app.run import HEARTBEAT

    path = config.data_dir / HEARTBEAT
    try:
        age = now().timestamp() - path.stat().st_mtime
    except OSError:
        print(f"tieswatch: no heartbeat in {config.data_dir}: is `tieswatch run` running on it?", file=sys.stderr)
        return 1
    if age > args.max_age:
        print(
            f"tieswatch: the last heartbeat is {age:.0f} s old (over {args.max_age:g} s): is the bot stuck?",
            file=sys.stderr,
        )
        return 1
    print(f"ok: the bot ticked {age:.0f} s ago")
    return 0


def cmd_demo(args: argparse.Namespace, config: Config) -> int:
    """Sample feeds on loopback through the real pipeline, alerts printed; needs no token and no network."""
    from bot.app.demo import demo

    return demo(config)


def kind_of(chat_id: int, asked: str | None) -> str:
    """A chat's kind from its id: users are positive, groups negative, supergroups and channels -100…;
    ``asked`` (--kind) must agree with the sign. UsageError when it cannot be."""
    if chat_id == 0:
        raise UsageError("chat id 0 is no chat: give a user id (positive) or a group or channel id (negative)")
    if chat_id > 0:
        if asked not in (None, "private"):
            raise UsageError(f"{chat_id} is a user id (positive): a {asked} id is negative, such as -100…")
        return "private"
    if asked == "private":
        raise UsageError(f"{chat_id} is a group or channel id (negative): a user id is positive")
    return asked or ("channel" if str(chat_id).startswith("-100") else "group")


def cmd_subscribers_add(args: argparse.Namespace, config: Config) -> int:
    """Subscribe a chat by id; its kind follows the id's sign, and an existing kind changes only on --kind."""
    from bot.deliver.subscriptions import subscribe

    kind = kind_of(args.chat_id, args.kind)
    with opened(config) as store:
        existing = store.subscriber(args.chat_id)
        if existing is not None and args.kind is None:
            kind = existing.kind  # what Telegram (or an earlier --kind) said wins over a guess from the sign
        sub, new = subscribe(store, args.chat_id, kind, args.title or "", args.lang, now())
    print(f"chat {sub.chat_id} ({sub.kind}) {'subscribed' if new else 'subscribed again'}")
    if existing is not None and existing.kind != sub.kind:
        print(f"kind changed from {existing.kind} to {sub.kind}")
    return 0


def cmd_subscribers_list(args: argparse.Namespace, config: Config) -> int:
    with opened(config, read_only=True) as store:
        subs = store.subscribers(active_only=False)
    records = [
        {
            "chat_id": s.chat_id,
            "kind": s.kind,
            "title": s.title,
            "active": s.active,
            "sensitivity": s.sensitivity,
            "languages": list(s.languages),
            "mode": s.mode,
            "ui_language": s.ui_language,
        }
        for s in subs
    ]
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
    emit(args, ("chat", "kind", "title", "active", "sensitivity", "languages", "mode", "ui"), table, records)
    return 0


def cmd_subscribers_remove(args: argparse.Namespace, config: Config) -> int:
    with opened(config, read_only=True) as store:
        found = store.set_active(args.chat_id, False, now())
    if not found:
        print(f"tieswatch: chat {args.chat_id} is not a subscriber", file=sys.stderr)
        return 1
    print(f"chat {args.chat_id} unsubscribed")
    return 0


def add_commands(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    r = sub.add_parser("run", parents=[common], help="run the bot (console alerts without TELEGRAM_BOT_TOKEN)")
    r.set_defaults(handler=cmd_run)
    h = sub.add_parser("health", parents=[common], help="exit 0 while `tieswatch run` is alive (Docker HEALTHCHECK)")
    h.add_argument("--max-age", type=float, default=120, metavar="SECONDS", help="oldest heartbeat still healthy")
    h.set_defaults(handler=cmd_health)
    d = sub.add_parser("demo", parents=[common], help="sample feeds through the real pipeline, no network needed")
    d.set_defaults(handler=cmd_demo)

    sb = sub.add_parser("subscribers", parents=[common], help="chats that receive alerts")
    sbsub = sb.add_subparsers(dest="subscribers_command", metavar="ACTION")
    sa = sbsub.add_parser("add", parents=[common], help="subscribe a chat or channel by id")
    sa.add_argument("chat_id", type=int, help="Telegram chat id: a user's is positive, a group's or channel's negative")
    sa.add_argument(
        "--kind",
        choices=("private", "group", "supergroup", "channel"),
        help="default: from the id (positive private, -100… channel, other negative group); kept if known",
    )
    sa.add_argument("--title", default="", help="a name for the chat in `subscribers list`")
    sa.add_argument("--lang", choices=("en", "it"), default="en", help="the bot's language in that chat")
    sa.set_defaults(handler=cmd_subscribers_add)
    sl = sbsub.add_parser("list", parents=[common], help="every chat, active or not")
    add_json_option(sl)
    sl.set_defaults(handler=cmd_subscribers_list)
    sr = sbsub.add_parser("remove", parents=[common], help="unsubscribe a chat")
    sr.add_argument("chat_id", type=int, help="the chat id given to `subscribers add`")
    sr.set_defaults(handler=cmd_subscribers_remove)
    sb.set_defaults(usage_of=sb)
