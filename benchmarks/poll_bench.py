"""Benchmark: `tieswatch poll --once` against a loopback server of 200 feeds x 50 items.

Each poll runs fetch | parse | store | classify | decide, so the first one also scores 10,000 items.

Prints, for each run, the wall time, the peak memory of the tieswatch process, the items stored and the
HTTP statuses; the second run must store nothing and get 304s. Also compares concurrency limits.

    .venv/bin/python benchmarks/poll_bench.py [--feeds 200] [--items 50] [--concurrency 20 ...]
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.app.demo import FeedServer  # noqa: E402


def feed_document(feed: int, items: int) -> bytes:
    now = datetime.now(UTC)
    entries = []
    for i in range(items):
        when = (now - timedelta(minutes=i)).strftime("%a, %d %b %Y %H:%M:%S +0000")
        entries.append(
            f"<item><title>Feed {feed} story {i}: talks resume in the capital</title>"
            f"<link>https://example.org/{feed}/{i}?utm_source=rss</link><guid>https://example.org/{feed}/{i}</guid>"
            f"<description>&lt;p&gt;Officials from both sides met for a {i}th round of talks on trade, "
            f"energy and transport, according to a statement released on Monday.&lt;/p&gt;</description>"
            f"<pubDate>{when}</pubDate></item>"
        )
    return (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Feed {feed}</title>'
        f"<link>https://example.org/{feed}</link>{''.join(entries)}</channel></rss>"
    ).encode()


def run_poll(feeds_yaml: Path, data: Path, concurrency: int) -> tuple[float, float, int]:
    """(seconds, peak MB of that process, exit status) of one `tieswatch poll --once`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TIESWATCH_", "TELEGRAM_"))}
    env["TIESWATCH_CONCURRENCY"] = str(concurrency)
    env["TIESWATCH_ALLOW_PRIVATE"] = "1"  # the feeds are served on loopback
    start = time.perf_counter()
    child = subprocess.Popen(
        [sys.executable, "-m", "bot", "poll", "--once", "--feeds", str(feeds_yaml), "--data", str(data)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    _, status, usage = os.wait4(child.pid, 0)  # this child's own peak, not the largest child so far
    seconds = time.perf_counter() - start
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        print(child.stderr.read().decode()[-2000:], file=sys.stderr)
    child.stderr.close()
    return seconds, usage.ru_maxrss / 1024, child.returncode


def summary(db: Path, after_log_id: int) -> tuple[int, dict[int, int], int]:
    """(items stored, HTTP statuses of the fetches logged after ``after_log_id``, the last log id)."""
    with sqlite3.connect(db) as conn:
        items = conn.execute("SELECT COUNT(*) FROM items").fetchone()[0]
        statuses = dict(
            conn.execute("SELECT status, COUNT(*) FROM fetch_log WHERE id > ? GROUP BY status", [after_log_id])
        )
        last = conn.execute("SELECT COALESCE(MAX(id), 0) FROM fetch_log").fetchone()[0]
    return items, statuses, last


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--feeds", type=int, default=200)
    parser.add_argument("--items", type=int, default=50)
    parser.add_argument("--concurrency", type=int, nargs="*", default=[20])
    args = parser.parse_args()
    with FeedServer() as server, tempfile.TemporaryDirectory() as tmp:
        lines = ["feeds:"]
        for f in range(args.feeds):
            server.put(f"/feed/{f}.xml", feed_document(f, args.items))
            lines += [f"  - name: Feed {f}", f"    url: {server.url(f'/feed/{f}.xml')}", "    language: en"]
        feeds_yaml = Path(tmp) / "feeds.yaml"
        feeds_yaml.write_text("\n".join(lines) + "\n")
        size = sum(len(feed_document(f, args.items)) for f in range(2))
        print(f"{args.feeds} feeds x {args.items} items on {server.url('/')} (~{size // 2 // 1024} KiB each)")
        for concurrency in args.concurrency:
            data = Path(tmp) / f"data-{concurrency}"
            # The model is trained beforehand (a first start does it once); the polls below classify with it.
            subprocess.run([sys.executable, "-m", "bot", "--data", str(data), "train"], check=True, capture_output=True)
            last = 0
            for run in ("first", "second"):
                seconds, peak, status = run_poll(feeds_yaml, data, concurrency)
                items, statuses, last = summary(data / "tieswatch.db", last)
                print(
                    f"concurrency {concurrency:3d}, {run:6s} poll: {seconds:6.2f} s, peak memory {peak:6.1f} MB, "
                    f"items stored {items}, statuses {statuses}, exit {status}"
                )


if __name__ == "__main__":
    main()
