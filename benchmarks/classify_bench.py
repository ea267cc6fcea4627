"""Benchmark: training time, model file size, and classification throughput in one process.

    .venv/bin/python benchmarks/classify_bench.py [--n 20000] [--topical 0.1]

Throughput is measured on our corpus texts repeated to N items, through the same call the bot and the CLI
use (scores, why and excerpts included): RSS-like items (title + short summary) as a typical feed mix
(a share ``--topical`` of them about North Korea or Russia, the rest other news: the corpus's easy
negatives), all-topical RSS-like items (the worst case: every one is embedded), and page-like ones (long
bodies with clutter); then end to end through `tieswatch classify` reading the feed mix as JSON Lines,
start-up included.
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
    parser.add_argument("--n", type=int, default=20000)
    parser.add_argument("--topical", type=float, default=0.1, help="share of the feed mix about DPRK or Russia")
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
        other = [(r["title"], r["summary"]) for r in rows if r["style"] == "rss" and r["kind"] == "easy_negative"]
        topical = [(r["title"], r["summary"]) for r in rows if r["style"] == "rss" and r["kind"] != "easy_negative"]
        every = max(1, round(1 / args.topical)) if args.topical > 0 else 0
        mix_pool = [
            topical[i % len(topical)] if every and i % every == 0 else other[i % len(other)] for i in range(997)
        ]
        mix = list(itertools.islice(itertools.cycle(mix_pool), args.n))
        pages = [(r["title"], r["text"]) for r in rows if r["style"] == "page"]
        for name, pool in (
            (f"RSS-like, feed mix ({args.topical:.0%} topical)", mix),
            ("RSS-like, all topical", rss),
            ("page-like, all topical", pages),
        ):
            pairs = list(itertools.islice(itertools.cycle(pool), min(args.n, 5000)))
            avg = sum(len(t) + len(b) for t, b in pairs) / len(pairs)
            print(f"{name:34s} ({avg:5.0f} chars avg): {throughput(model, pairs):7.0f} items/s")
        jsonl = data / "items.jsonl"
        with jsonl.open("w", encoding="utf-8") as f:
            for i, (title, summary) in enumerate(mix):
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
            f"`tieswatch classify` on {lines} RSS-like JSON lines (feed mix): {seconds:.1f} s, of which "
            f"{startup:.1f} s start-up (imports, model load): {lines / seconds:.0f} items/s start-up included, "
            f"{lines / (seconds - startup):.0f} items/s sustained"
        )


if __name__ == "__main__":
    main()
