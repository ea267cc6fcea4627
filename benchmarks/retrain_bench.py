"""Benchmark: `tieswatch retrain` with N labelled items (default 10,000) in the database.

The labelled items are our own texts (tests/data/labels.jsonl and the corpus) given distinct links, so the
bot holds N different items with labels; the retrain trains on the corpus plus the training share of them
and compares with the model in use on the held-out share.

    .venv/bin/python benchmarks/retrain_bench.py [--labels 10000]
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.learn.labels import import_labels  # noqa: E402
from bot.learn.retrain import retrain  # noqa: E402
from bot.store import Store  # noqa: E402
from classifier import registry  # noqa: E402
from classifier.corpus import bundled_examples  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--labels", type=int, default=10000)
    args = parser.parse_args()
    base = [json.loads(line) for line in (ROOT / "tests" / "data" / "labels.jsonl").open(encoding="utf-8")]
    base += [{"title": e.title, "summary": e.body[:400], "label": e.label, "lang": e.lang} for e in bundled_examples()]
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        path = data / "labels.jsonl"
        with path.open("w", encoding="utf-8") as f:
            for i, row in enumerate(itertools.islice(itertools.cycle(base), args.labels)):
                f.write(
                    json.dumps(
                        {
                            "link": f"https://bench.example/{i}",
                            "title": row["title"],
                            "summary": row["summary"],
                            "lang": row["lang"],
                            "label": row["label"],
                        },
                        ensure_ascii=False,
                    )
                    + "\n"
                )
        store = Store.open(data / "tieswatch.db")
        start = time.perf_counter()
        report = import_labels(store, path, datetime.now(UTC))
        print(f"imported {report.imported} labels in {time.perf_counter() - start:.1f} s")
        registry.ensure_model(data / "models")
        start = time.perf_counter()
        result = retrain(store, data / "models", data / "reports", datetime.now(UTC))
        seconds = time.perf_counter() - start
        print(result.text())
        print(
            f"retrain with {args.labels} labelled items: {seconds:.1f} s "
            f"({result.trained_on} training examples, {result.holdout} held out)"
        )
        store.close()


if __name__ == "__main__":
    main()
