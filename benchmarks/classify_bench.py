"""Benchmark: training time, model file size, and classification throughput in one process.

    .venv/bin/python benchmarks/classify_bench.py [--n 10000]

Throughput is measured on our corpus texts repeated to N items: RSS-like items (title + short summary)
and page-like ones (long bodies with clutter), through the same call the bot and the CLI use (scores,
why and excerpts included), and end to end through `tieswatch classify` reading JSON Lines.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from classifier import registry  # noqa: E402
from classifier.corpus import BUNDLED, bundled_examples  # noqa: E402
from classifier.training import train  # noqa: E402


def throughput(model, pairs: list[tuple[str, str]], batch: int = 512) -> float:
    start = time.perf_counter()
    for i in range(0, len(pairs), batch):
        model.predict(pairs[i : i + batch])
    return len(pairs) / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=10000)
    args = parser.parse_args()
    examples = bundled_examples()
    start = time.perf_counter()
    model = train(examples)
    print(f"training on {len(examples)} examples: {time.perf_counter() - start:.1f} s")
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        path = registry.save(data / "models", model, make_current=True)
        print(f"model file: {path.stat().st_size / 1e6:.1f} MB (+ card {path.with_suffix('.json').stat().st_size} B)")
        rows = [json.loads(line) for p in sorted(BUNDLED.glob("*.jsonl")) for line in p.open(encoding="utf-8")]
        rss = [(r["title"], r["summary"]) for r in rows if r["style"] == "rss"]
        pages = [(r["title"], r["text"]) for r in rows if r["style"] == "page"]
        for name, pool in (("RSS-like items", rss), ("page-like items", pages)):
            pairs = list(itertools.islice(itertools.cycle(pool), args.n))
            avg = sum(len(t) + len(b) for t, b in pairs) / len(pairs)
            print(f"{name:16s} ({avg:5.0f} chars avg): {throughput(model, pairs):7.0f} items/s")
        jsonl = data / "items.jsonl"
        with jsonl.open("w", encoding="utf-8") as f:
            for i, (title, summary) in enumerate(itertools.islice(itertools.cycle(rss), args.n)):
                f.write(json.dumps({"id": i, "title": title, "summary": summary}, ensure_ascii=False) + "\n")
        env = {k: v for k, v in os.environ.items() if not k.startswith("TIESWATCH_")}

        def cli(path: Path) -> tuple[float, int]:
            start = time.perf_counter()
            out = subprocess.run(
                [sys.executable, "-m", "bot", "classify", str(path), "--data", str(data)],
                env=env,
                capture_output=True,
                text=True,
                check=True,
            ).stdout
            return time.perf_counter() - start, out.count("\n")

        empty = data / "one.jsonl"
        empty.write_text(json.dumps({"id": 0, "title": rss[0][0], "summary": rss[0][1]}) + "\n")
        startup, _ = cli(empty)
        seconds, lines = cli(jsonl)
        print(
            f"`tieswatch classify` on {lines} RSS-like JSON lines: {seconds:.1f} s, of which {startup:.1f} s "
            f"start-up (imports, model load); sustained {lines / (seconds - startup):.0f} items/s"
        )


if __name__ == "__main__":
    main()
