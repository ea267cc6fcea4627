"""The ``tieswatch`` command: every stage of the flow, usable by hand, one module per command group.

    feeds.py   poll, feeds list/check/add/remove/resume/import/export
    labels.py  labels import/export, retrain
    bot.py     run, demo, subscribers add/list/remove
    model.py   classify, train, evaluate, model list/use
    search.py  search

Global options (--feeds, --data) are accepted before or after the command name. Each command returns an
exit status: 0 all well, 1 something failed (the message says what), 2 wrong usage (the usage is shown).
Errors are caught once, here.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import logging
import os
import sys
from collections.abc import Sequence

from bot.app.cli import bot, feeds, labels, model, search
from bot.config import load_config
from bot.errors import FeedsFileError, TieswatchError, UsageError

log = logging.getLogger("tieswatch")


def _version() -> str:
    try:
        return importlib.metadata.version("tieswatch")
    except importlib.metadata.PackageNotFoundError:  # run from a checkout that was never installed
        return "unknown"


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
    parser.add_argument("--version", action="version", version=f"tieswatch {_version()}", help="print the version")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for group in (feeds, labels, bot, model, search):
        group.add_commands(sub, common)
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
    if (prepare := getattr(args, "prepare", None)) is not None:
        prepare(args)
    try:
        config = load_config(getattr(args, "feeds", None), getattr(args, "data", None))
        if config.telegram_token:
            redact_secret(config.telegram_token)
        return handler(args, config)
    except FeedsFileError as e:
        if len(e.problems) == 1:
            print(e.problems[0], file=sys.stderr)
            return 1
        print(f"{e.path} has {len(e.problems)} problems:", file=sys.stderr)
        for problem in e.problems:
            print(f"  {problem}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        # The reader went away (`tieswatch feeds list | head`): nothing more to say, and nowhere to say it.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1
    except UnicodeDecodeError as e:
        print(f"tieswatch: a file is not UTF-8 text ({e.reason} at byte {e.start})", file=sys.stderr)
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
