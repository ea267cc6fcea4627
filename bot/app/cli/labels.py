"""``tieswatch labels …`` and ``tieswatch retrain``: what people labelled, and learning from it."""

from __future__ import annotations

import argparse
import json
import sys

from bot.app.cli.common import now, opened, readable
from bot.config import Config


def cmd_labels_import(args: argparse.Namespace, config: Config) -> int:
    from bot.learn.labels import import_labels

    path = readable(args.file)
    with opened(config) as store:
        report = import_labels(store, path, now())
    for error in report.errors:
        print(error, file=sys.stderr)
    print(
        f"{report.imported} labels imported ({report.created_items} items new to the bot), "
        f"{len(report.errors)} rows skipped"
    )
    return 1 if report.errors else 0


def cmd_labels_export(args: argparse.Namespace, config: Config) -> int:
    from bot.learn.labels import export_rows

    with opened(config, read_only=True) as store:
        for row in export_rows(store):
            print(json.dumps(row, ensure_ascii=False))
    return 0


def cmd_retrain(args: argparse.Namespace, config: Config) -> int:
    """Train a candidate on the corpus plus labels; promote it only if it is not worse (or --force)."""
    from bot.app.progress import working
    from bot.learn.retrain import base_corpus, retrain

    with opened(config) as store, working("training a candidate and comparing it with the model in use"):
        report = retrain(
            store,
            config.models_dir,
            config.data_dir / "reports",
            now(),
            force=args.force,
            margin=config.promote_margin if args.margin is None else args.margin,
            trigger="cli",
            base=base_corpus(config.corpus),
        )
    print(report.text())
    return 0


def add_commands(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    lb = sub.add_parser("labels", parents=[common], help="labelled items for retraining")
    lsub = lb.add_subparsers(dest="labels_command", metavar="ACTION")
    li = lsub.add_parser("import", parents=[common], help="CSV or JSON Lines: link or id, label (title, summary)")
    li.add_argument("file", help="CSV (header: link or id, label) or JSON Lines (one object per line)")
    li.set_defaults(handler=cmd_labels_import)
    lsub.add_parser("export", parents=[common], help="resolved labels as JSON Lines").set_defaults(
        handler=cmd_labels_export
    )
    lb.set_defaults(usage_of=lb)

    rt = sub.add_parser("retrain", parents=[common], help="retrain on the corpus and labels; promote if not worse")
    rt.add_argument("--force", action="store_true", help="promote the candidate whatever it scores")
    rt.add_argument("--margin", type=float, help="precision the candidate may lose (default 0.02)")
    rt.set_defaults(handler=cmd_retrain)
