"""``tieswatch classify``: JSON Lines (or text files) in, one verdict per line out, in input order, scored
by worker processes that share the loaded model."""

from __future__ import annotations

import argparse
import collections
import json
import sys
from pathlib import Path

from bot.app.cli.common import readable
from bot.config import Config
from bot.errors import BadLine, InputError, UsageError


def model_in_use(config: Config):
    """The model in use; on first start, one trained on the bundled corpus."""
    from bot.app.progress import working
    from classifier import registry

    if registry.current_version(config.models_dir) is not None:
        return registry.load(config.models_dir)
    with working("no model yet: training one on the bundled corpus"):
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

    if not args.text and len(args.files) > 1:
        raise UsageError("classify: give one JSON Lines FILE (or use --text for text files)")
    source = args.files[0] if args.files and not args.text else "-"
    if source != "-":
        readable(source)
    model = model_in_use(config)
    if args.text:
        status = 0
        for name in args.files:
            try:
                raw = readable(name).read_text(encoding="utf-8")
            except (InputError, UnicodeDecodeError) as e:
                print(f"tieswatch: {e if isinstance(e, InputError) else f'{name}: not UTF-8 text'}", file=sys.stderr)
                status = 1
                continue
            title, _, body = raw.partition("\n")
            (prediction,) = model.predict([(title.strip(), body)])
            print(_prediction_json(name, prediction))
        return status
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
                    print(f"{Path(label).name if source != '-' else label} line {n}: {record.reason}", file=sys.stderr)
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
