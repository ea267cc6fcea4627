"""``tieswatch classify``, ``train``, ``evaluate`` and ``model …``: the classifier by hand."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from bot.app.cli.classify import cmd_classify, model_in_use
from bot.app.cli.common import add_json_option, emit, readable
from bot.config import Config
from bot.errors import NoModel, UsageError


def _eval_sets(args: argparse.Namespace) -> list[Path]:
    if args.labelled:
        return [readable(p) for p in args.labelled]
    checkout = Path(__file__).resolve().parents[3]
    for shared in (Path.cwd().parent / "shared" / "eval", checkout.parent / "shared" / "eval"):
        found = [shared / "dev.jsonl", shared / "dev-pages.jsonl"]
        if all(p.exists() for p in found):
            return found
    raise UsageError("no evaluation data: give --labelled FILE (JSON Lines with title, summary or text, label)")


def cmd_train(args: argparse.Namespace, config: Config) -> int:
    """Train on the bundled corpus (plus --data files), save the model and put it in use."""
    from bot.app.progress import working
    from bot.learn.retrain import base_corpus
    from classifier import registry
    from classifier.corpus import read_examples
    from classifier.training import train

    examples = base_corpus(config.corpus)
    for path in args.labelled or []:
        examples += read_examples(readable(path))
    with working(f"training on {len(examples)} examples"):
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
    from bot.app.progress import working
    from classifier.corpus import read_examples
    from classifier.evaluate import evaluate, format_report, plot_pr_curves

    sets = [(path, read_examples(path)) for path in _eval_sets(args)]  # a bad file is told before any work
    model = model_in_use(config)
    curves = []
    print(f"model {model.version}, threshold {model.threshold:.3f}\n")
    for path, examples in sets:
        with working(f"scoring {len(examples)} items of {path.name}"):
            report = evaluate(model, examples, path.name)
        print(format_report(report, show_errors=args.errors))
        print()
        curves.append((path.stem, report.labels, report.scores))
        for family, family_scores in report.family_scores.items():
            curves.append((f"{path.stem}, {family} alone", report.labels, family_scores))
    png = Path(args.png) if args.png else config.data_dir / "reports" / f"pr-{model.version}.png"
    plot_pr_curves(curves, png, f"tieswatch model {model.version}")
    print(f"precision–recall curve: {png}")
    return 0


def cmd_model_list(args: argparse.Namespace, config: Config) -> int:
    from classifier import registry

    rows, records = [], []
    for info in registry.list_models(config.models_dir):
        cv = info.card.get("metrics", {}).get("cross_validated", {})
        records.append(
            {
                "version": info.version,
                "current": info.current,
                "examples": info.card.get("examples"),
                "threshold": info.card.get("threshold"),
                "cross_validated": cv,
                "data_hash": info.card.get("data_hash"),
                "trained_at": info.card.get("trained_at"),
            }
        )
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
    if not rows and not args.json:
        print("no models yet (one is trained on first start, or run `tieswatch train`)")
        return 0
    emit(args, ("", "version", "examples", "threshold", "P", "R", "F1", "data"), rows, records)
    return 0


def cmd_model_use(args: argparse.Namespace, config: Config) -> int:
    from classifier import registry

    try:
        registry.set_current(config.models_dir, args.version)
    except NoModel as e:
        known = ", ".join(m.version for m in registry.list_models(config.models_dir)) or "none"
        raise UsageError(f"{e} (versions: {known})") from None
    print(f"model {args.version} is now in use")
    return 0


def labelled_from_data(args: argparse.Namespace) -> None:
    """train/evaluate once took their labelled files as --data FILE, which clashed with the global --data DIR:
    a file given so still counts (with a deprecation line); a folder is the data directory, as everywhere."""
    for value in getattr(args, "data_after", None) or []:
        if Path(value).is_dir():
            args.data = value
            continue
        print(f"tieswatch: --data FILE is deprecated here, use --labelled {value}", file=sys.stderr)
        args.labelled = [*(args.labelled or []), value]


def add_commands(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    # train and evaluate keep their own --data: a folder is the data directory, a file (the old meaning)
    # is labelled data, accepted with a deprecation line (see labelled_from_data).
    own = argparse.ArgumentParser(add_help=False)
    own.add_argument("--feeds", metavar="PATH", default=argparse.SUPPRESS, help="feed list")
    own.add_argument("-v", "--verbose", action="store_true", default=argparse.SUPPRESS, help="log more")
    own.add_argument(
        "--data",
        dest="data_after",
        action="append",
        metavar="DIR",
        help="data directory (env TIESWATCH_DATA, default ./data); a FILE here is read as --labelled (deprecated)",
    )

    c = sub.add_parser("classify", parents=[common], help="score JSON Lines (or text files) as relevant or not")
    c.add_argument("files", nargs="*", metavar="FILE", help="JSON Lines file (default: standard input)")
    c.add_argument("--text", action="store_true", help="FILEs are plain text: first line title, the rest body")
    c.add_argument(
        "--jobs",
        type=int,
        default=min(4, os.cpu_count() or 1),
        metavar="N",
        help="worker processes scoring JSON Lines (default: one per core, at most 4)",
    )
    c.set_defaults(handler=cmd_classify)

    t = sub.add_parser("train", parents=[own], help="train the model on the bundled corpus and use it")
    t.add_argument("--labelled", action="append", metavar="FILE", help="extra labelled JSON Lines to train on")
    t.set_defaults(handler=cmd_train, prepare=labelled_from_data)

    e = sub.add_parser("evaluate", parents=[own], help="quality report of the model in use")
    e.add_argument(
        "--labelled",
        action="append",
        metavar="FILE",
        help="labelled JSON Lines (default: ../shared/eval/dev.jsonl and dev-pages.jsonl)",
    )
    e.add_argument("--png", metavar="PATH", help="where to save the precision–recall curve")
    e.add_argument("--errors", type=int, default=30, metavar="N", help="misclassified items to list")
    e.set_defaults(handler=cmd_evaluate, prepare=labelled_from_data)

    m = sub.add_parser("model", parents=[common], help="model versions")
    msub = m.add_subparsers(dest="model_command", metavar="ACTION")
    ml = msub.add_parser("list", parents=[common], help="every version with its metrics")
    add_json_option(ml)
    ml.set_defaults(handler=cmd_model_list)
    mu = msub.add_parser("use", parents=[common], help="put a version in use (roll back or forward)")
    mu.add_argument("version", help="a version from `tieswatch model list`")
    mu.set_defaults(handler=cmd_model_use)
    m.set_defaults(usage_of=m)
