"""``tieswatch classify``, ``train``, ``evaluate`` and ``model …``: the classifier by hand."""

from __future__ import annotations

import argparse
import collections
import json
import os
import sys
from pathlib import Path

from tabulate import tabulate

from bot.config import Config
from bot.errors import BadLine, NoModel, UsageError


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


_MODEL_IN_WORKER: list = []  # the model a forked worker inherited from the parent


def _score_batch(batch: list[tuple[object, tuple[str, str]]]) -> list[str]:
    (model,) = _MODEL_IN_WORKER
    predictions = model.predict([pair for _, pair in batch])
    return [_prediction_json(item_id, p) for (item_id, _), p in zip(batch, predictions, strict=True)]


class _InOrder:
    """Scores batches in ``jobs`` worker processes and prints the results in input order.

    The workers are forked once the model (and its embedding table) is loaded, so they start with it
    instead of loading it again: both cores score, and start-up is paid once.
    """

    def __init__(self, model: object, jobs: int):
        _MODEL_IN_WORKER[:] = [model]
        self.jobs = jobs
        self.pool = None
        if jobs > 1:
            import multiprocessing
            from concurrent.futures import ProcessPoolExecutor

            self.pool = ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("fork"))
        self.pending: collections.deque = collections.deque()

    def submit(self, batch: list[tuple[object, tuple[str, str]]]) -> None:
        if not batch:
            return
        if self.pool is None:
            print("\n".join(_score_batch(batch)))
            return
        self.pending.append(self.pool.submit(_score_batch, list(batch)))
        while len(self.pending) > 2 * self.jobs:  # a bounded window keeps memory flat on long inputs
            print("\n".join(self.pending.popleft().result()))

    def drain(self) -> None:
        while self.pending:
            print("\n".join(self.pending.popleft().result()))

    def close(self) -> None:
        self.drain()
        if self.pool is not None:
            self.pool.shutdown()


def cmd_classify(args: argparse.Namespace, config: Config) -> int:
    """JSON Lines (or plain text files with --text) in, one JSON line per input out, in order."""
    from classifier.corpus import body_of, parse_records

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
    if model.stack is not None:
        from classifier.embed import encoder

        encoder()  # loaded before the workers fork, so they share it
    scorer = _InOrder(model, max(1, args.jobs))

    def flush() -> None:
        scorer.submit(batch)
        batch.clear()

    try:
        with stream:
            for n, record in parse_records(stream, need_label=False):
                if isinstance(record, BadLine):
                    flush()
                    scorer.drain()  # keep the output in input order around the bad line
                    print(f"{label} line {n}: {record.reason}", file=sys.stderr)
                    bad += 1
                    continue
                batch.append((record.get("id", n), (str(record.get("title") or ""), body_of(record))))
                if len(batch) >= 256:
                    flush()
            flush()
    finally:
        scorer.close()
    if bad:
        print(f"{bad} line(s) could not be classified", file=sys.stderr)
    return 1 if bad else 0


def _eval_sets(args: argparse.Namespace) -> list[Path]:
    if args.labelled:
        return [Path(p) for p in args.labelled]
    checkout = Path(__file__).resolve().parents[3]
    for shared in (Path.cwd().parent / "shared" / "eval", checkout.parent / "shared" / "eval"):
        found = [shared / "dev.jsonl", shared / "dev-pages.jsonl"]
        if all(p.exists() for p in found):
            return found
    raise UsageError("no evaluation data: give --data FILE (JSON Lines with title, summary or text, label)")


def cmd_train(args: argparse.Namespace, config: Config) -> int:
    """Train on the bundled corpus (plus --data files), save the model and put it in use."""
    from classifier import registry
    from classifier.corpus import bundled_examples, read_examples
    from classifier.training import train

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
        for family, family_scores in report.family_scores.items():
            curves.append((f"{path.stem}, {family} alone", report.labels, family_scores))
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
    except NoModel as e:
        known = ", ".join(m.version for m in registry.list_models(config.models_dir)) or "none"
        raise UsageError(f"{e} (versions: {known})") from None
    print(f"model {args.version} is now in use")
    return 0


def add_commands(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    # train and evaluate take --data FILE (labelled data); their data directory comes before the command
    # (tieswatch --data DIR evaluate --data FILE) or from TIESWATCH_DATA.
    feeds_only = argparse.ArgumentParser(add_help=False)
    feeds_only.add_argument("--feeds", metavar="PATH", default=argparse.SUPPRESS, help="feed list")
    feeds_only.add_argument("-v", "--verbose", action="store_true", default=argparse.SUPPRESS, help="log more")

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
