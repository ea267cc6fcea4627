"""Benchmark: the resident memory of a running `tieswatch run`, steady, with the two-family model at work.

A loopback server offers N feeds of corpus texts (a share of them about North Korea and Russia, so the
embedding family loads and works); the bot polls them with console alerts, and every feed gets new items
at each round. The RSS of the bot's process and its workers is sampled from /proc each second; the figure that counts is
the steady one, after the first rounds.

    .venv/bin/python benchmarks/run_memory_bench.py [--feeds 50] [--items 30] [--seconds 150]
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
from datetime import UTC, datetime
from pathlib import Path
from xml.sax.saxutils import escape

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.app.demo import FeedServer  # noqa: E402
from classifier.corpus import BUNDLED  # noqa: E402


def rss_mb(pid: int) -> float:
    """The resident memory of ``pid`` and of every process under it (the bot's workers count too)."""
    total = 0.0
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1]) / 1024
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except FileNotFoundError:  # the process ended between two reads
        return total
    return total + sum(rss_mb(int(child)) for child in children)


def document(feed: int, round_: int, items: list[tuple[str, str]]) -> bytes:
    now = datetime.now(UTC).strftime("%a, %d %b %Y %H:%M:%S +0000")
    entries = "".join(
        f"<item><title>{escape(t)}</title><link>https://example.org/{feed}/{round_}/{i}</link>"
        f"<description>{escape(s)}</description><pubDate>{now}</pubDate></item>"
        for i, (t, s) in enumerate(items)
    )
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>F{feed}</title>{entries}</channel></rss>'.encode()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--feeds", type=int, default=50)
    parser.add_argument("--items", type=int, default=30)
    parser.add_argument("--seconds", type=int, default=150)
    parser.add_argument("--workers", type=int, default=None, help="TIESWATCH_WORKERS (default: the bot's own)")
    args = parser.parse_args()
    rows = [json.loads(line) for p in sorted(BUNDLED.glob("*.jsonl")) for line in p.open(encoding="utf-8")]
    other = [(r["title"], r["summary"]) for r in rows if r["style"] == "rss" and r["kind"] == "easy_negative"]
    topical = [(r["title"], r["summary"]) for r in rows if r["style"] == "rss" and r["kind"] != "easy_negative"]
    pool = itertools.cycle([topical[i % len(topical)] if i % 10 == 0 else other[i % len(other)] for i in range(997)])
    with FeedServer() as server, tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        feeds = ["feeds:"]
        for f in range(args.feeds):
            server.put(f"/{f}.xml", document(f, 0, [next(pool) for _ in range(args.items)]))
            feeds += [f"  - name: F{f}", f"    url: {server.url(f'/{f}.xml')}", "    language: en", "    interval: 1m"]
        (Path(tmp) / "feeds.yaml").write_text("\n".join(feeds) + "\n")
        env = {k: v for k, v in os.environ.items() if not k.startswith(("TIESWATCH_", "TELEGRAM_"))}
        env.update(TIESWATCH_ALLOW_PRIVATE="1", TIESWATCH_FEEDS=str(Path(tmp) / "feeds.yaml"), TIESWATCH_DATA=str(data))
        if args.workers is not None:
            env["TIESWATCH_WORKERS"] = str(args.workers)
        subprocess.run([sys.executable, "-m", "bot", "train"], env=env, check=True, capture_output=True)
        bot = subprocess.Popen(
            [sys.executable, "-m", "bot", "run"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        samples: list[float] = []
        try:
            for second in range(args.seconds):
                time.sleep(1)
                samples.append(rss_mb(bot.pid))
                if second % 30 == 29:  # new items on every feed: the next round (every minute) scores them
                    for f in range(args.feeds):
                        server.put(f"/{f}.xml", document(f, second, [next(pool) for _ in range(args.items)]))
        finally:
            bot.terminate()
            bot.wait(30)
    steady = samples[len(samples) // 3 :]
    print(
        f"tieswatch run (workers: {args.workers if args.workers is not None else 'default'}), "
        f"{args.feeds} feeds x {args.items} items, new items every 30 s, polled every minute, "
        f"{args.seconds} s: "
        f"RSS steady {sum(steady) / len(steady):.0f} MB (max {max(steady):.0f} MB after the first third; "
        f"peak {max(samples):.0f} MB)"
    )


if __name__ == "__main__":
    main()
