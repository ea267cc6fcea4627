"""Benchmark: polling feeds on loopback, tieswatch against a bare httpx + feedparser peer, in the same run.

Every feed holds 50 items with realistic HTML summaries (~1.4 KB each, ~100 KB a document), served by a
loopback server with ETags. Printed:

1. the first poll of ``--feeds`` feeds by `tieswatch poll --once` (fetch | parse | store | classify | decide):
   CPU seconds of the whole process tree, wall time, peak RSS of the tree (the bot and its workers together);
2. the same documents through the peer: httpx (same concurrency) + feedparser with its defaults + our scoring
   of every item, in one process, storing nothing: the floor any feed poller pays;
3. lemon24/reader on the same feeds, when it is installed (`pip install reader`; it is not a dependency);
4. a steady cycle of a running bot (a second poll in the same process, 30 % of the feeds changed with 5 new
   items each, the rest answering 304) and its scheduler's idle tick, projected to 10,000 feeds at a
   5-minute interval as a share of one core.

    .venv/bin/python benchmarks/poll_bench.py [--feeds 1000] [--items 50] [--memory 200 1000 3000]
"""

from __future__ import annotations

import argparse
import itertools
import os
import random
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.app.demo import FeedServer  # noqa: E402

WORDS = (
    "officials ministry statement talks delegation border security region economic cooperation agreement "
    "minister visit capital negotiations sanctions trade energy transport port shipment agency report week "
    "according spokesman analysts government parliament committee budget infrastructure railway"
).split()
CYCLE_SECONDS = 300  # the 5-minute interval the projection is for
PROJECTED_FEEDS = 10_000
CHANGED = 0.3


def summary_html(rng: random.Random, n: int) -> str:
    """~1.4 KB of the HTML a news feed puts in <description>: paragraphs, a link, an image, emphasis."""
    paragraphs = []
    for p in range(3):
        words = " ".join(rng.choice(WORDS) for _ in range(35))
        paragraphs.append(f'<p>{words.capitalize()} <a href="https://example.org/tag/{p}">{rng.choice(WORDS)}</a>.</p>')
    return (
        f'<div class="lead"><img src="https://example.org/img/{n}.jpg" alt="photo" width="640"/>'
        f"<p><strong>{rng.choice(WORDS).capitalize()}</strong> {' '.join(rng.choice(WORDS) for _ in range(20))}"
        f"</p>{''.join(paragraphs)}<p><em>Read more on example.org</em></p></div>"
    )


def feed_document(feed: int, items: int, first: int = 0) -> bytes:
    """Items ``first`` .. ``first + items - 1`` of feed ``feed``, newest first."""
    rng = random.Random(feed)
    now = datetime.now(UTC)
    entries = []
    for i in range(first + items - 1, first - 1, -1):
        when = (now - timedelta(minutes=first + items - i)).strftime("%a, %d %b %Y %H:%M:%S +0000")
        body = summary_html(rng, i).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        entries.append(
            f"<item><title>Feed {feed} story {i}: talks resume in the capital</title>"
            f"<link>https://example.org/{feed}/{i}?utm_source=rss</link><guid>https://example.org/{feed}/{i}</guid>"
            f"<description>{body}</description><pubDate>{when}</pubDate></item>"
        )
    return (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Feed {feed}</title>'
        f"<link>https://example.org/{feed}</link>{''.join(entries)}</channel></rss>"
    ).encode()


# ------------------------------------------------------------------ measuring a process tree from outside


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        tree.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    return tree


def tree_of(pid: int) -> list[int]:
    tree, out, todo = _children(), [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo += tree.get(p, [])
    return out


def tree_cpu(pid: int) -> float:
    """CPU seconds (user + system) of ``pid`` and its live descendants, and of the children they reaped."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for p in tree_of(pid):
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += sum(int(f) for f in fields[11:15])  # utime, stime, cutime, cstime
    return total / tick


def tree_rss(pid: int) -> float:
    """MB resident, ``pid`` and its descendants together."""
    total = 0
    for p in tree_of(pid):
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total / 1024


def run_measured(cmd: list[str], env: dict[str, str], stdin: str | None = None) -> tuple[float, float, float, str]:
    """(CPU seconds of the whole tree, wall seconds, peak MB of the tree, stdout) of one command."""
    before = os.times()
    start = time.perf_counter()
    child = subprocess.Popen(cmd, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    peak = 0.0

    def sample() -> None:
        nonlocal peak
        while child.poll() is None:
            peak = max(peak, tree_rss(child.pid))
            time.sleep(0.1)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, err = child.communicate(stdin.encode() if stdin else None)
    sampler.join()
    wall = time.perf_counter() - start
    after = os.times()
    cpu = (after.children_user - before.children_user) + (after.children_system - before.children_system)
    if child.returncode not in (0, 1):
        print(err.decode()[-3000:], file=sys.stderr)
    return cpu, wall, peak, out.decode()


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TIESWATCH_", "TELEGRAM_"))}
    env.update(TIESWATCH_ALLOW_PRIVATE="1", **extra)  # the feeds are served on loopback
    return env


# ------------------------------------------------------------------ the peers

PEER = textwrap.dedent(
    """
    import asyncio, html, re, sys
    from datetime import UTC, datetime
    from pathlib import Path
    import feedparser, httpx
    from bot.learn.score import score_items
    from bot.types import Item
    from classifier import registry

    urls, models = sys.argv[1].split(), Path(sys.argv[2])
    model = registry.load(models)
    tags = re.compile(r"<[^>]+>")

    async def main():
        sem = asyncio.Semaphore(20)
        async with httpx.AsyncClient(limits=httpx.Limits(max_connections=20)) as client:
            async def one(url):
                async with sem:
                    r = await client.get(url)
                parsed = feedparser.parse(r.content, response_headers=dict(r.headers))
                now = datetime.now(UTC)
                items = [
                    Item(e.get("id", ""), url, "peer", "en", e.get("title", ""),
                         html.unescape(tags.sub(" ", e.get("summary", ""))), "", e.get("link"), now, now)
                    for e in parsed.entries
                ]
                return len(score_items(model, items))
            counts = await asyncio.gather(*(one(u) for u in urls))
        print(sum(counts))

    asyncio.run(main())
    """
)

READER = textwrap.dedent(
    """
    import sys
    from reader import make_reader
    reader = make_reader(sys.argv[2])
    for url in sys.argv[1].split():
        reader.add_feed(url)
    reader.update_feeds(workers=20)
    print(sum(1 for _ in reader.get_entries()))
    """
)

CYCLE = textwrap.dedent(
    """
    import asyncio, sys, time
    from bot.config import load_config
    from bot.learn.score import Classifier
    from bot.pipeline import Pipeline
    from bot.store import Store

    config = load_config(sys.argv[1], sys.argv[2])
    store = Store.open(config.db_path)
    pipeline = Pipeline(config, store, Classifier(config.models_dir), sink=None)

    async def main():
        await pipeline.poll(only_due=False)
        print("ready", flush=True)
        sys.stdin.readline()  # the parent measures from here: a steady cycle, then idle ticks
        report = await pipeline.poll(only_due=False)
        print("cycle", report.new_items, sum(r.status == 304 for r in report.results), flush=True)
        sys.stdin.readline()
        for _ in range(20):
            await pipeline.poll()  # nothing is due: what each scheduler tick costs
        print("ticks", flush=True)
        sys.stdin.readline()

    asyncio.run(main())
    pipeline.close()
    """
)


def steady_cycle(server: FeedServer, feeds: int, items: int, feeds_yaml: Path, data: Path) -> tuple[float, float, int]:
    """(CPU seconds of one cycle with 30 % of the feeds changed, CPU seconds of one idle tick, new items)."""
    child = subprocess.Popen(
        [sys.executable, "-c", CYCLE, str(feeds_yaml), str(data)],
        env=clean_env(),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout.readline().strip() == "ready"
    for f in range(int(feeds * CHANGED)):  # 5 new items on each changed feed, the 5 oldest drop out
        server.put(f"/feed/{f}.xml", feed_document(f, items, first=5))
    start = tree_cpu(child.pid)
    child.stdin.write("go\n")
    child.stdin.flush()
    words = child.stdout.readline().split()
    cycle = tree_cpu(child.pid) - start
    start = tree_cpu(child.pid)
    child.stdin.write("go\n")
    child.stdin.flush()
    child.stdout.readline()
    tick = (tree_cpu(child.pid) - start) / 20
    child.stdin.write("go\n")
    child.stdin.close()
    child.wait()
    return cycle, tick, int(words[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--feeds", type=int, default=1000)
    parser.add_argument("--items", type=int, default=50)
    parser.add_argument("--memory", type=int, nargs="*", default=[], help="feed counts for a peak-memory sweep")
    args = parser.parse_args()
    with FeedServer() as server, tempfile.TemporaryDirectory() as tmp:
        most = max([args.feeds, *args.memory])
        for f in range(most):
            server.put(f"/feed/{f}.xml", feed_document(f, args.items))
        size = len(feed_document(0, args.items))
        print(f"{args.feeds} feeds x {args.items} items on loopback, ~{size // 1024} KB a document")
        models = Path(tmp) / "models-src"
        subprocess.run(
            [sys.executable, "-m", "bot", "--data", str(models), "train"],
            check=True,
            capture_output=True,
            env=clean_env(),
        )

        def feeds_file(n: int) -> Path:
            path = Path(tmp) / f"feeds-{n}.yaml"
            lines = ["feeds:"]
            for f in range(n):
                lines += [f"  - name: Feed {f}", f"    url: {server.url(f'/feed/{f}.xml')}", "    language: en"]
            path.write_text("\n".join(lines) + "\n")
            return path

        runs = itertools.count()

        def data_dir(name: str) -> Path:
            data = Path(tmp) / f"{name}-{next(runs)}"
            data.mkdir()
            os.symlink(models / "models", data / "models")
            return data

        def poll_once(n: int) -> tuple[float, float, float]:
            cpu, wall, peak, _ = run_measured(
                [
                    sys.executable,
                    "-m",
                    "bot",
                    "poll",
                    "--once",
                    "--feeds",
                    str(feeds_file(n)),
                    "--data",
                    str(data_dir(f"d{n}")),
                ],
                clean_env(),
            )
            return cpu, wall, peak

        ours = poll_once(args.feeds)
        urls = " ".join(server.url(f"/feed/{f}.xml") for f in range(args.feeds))
        peer = run_measured([sys.executable, "-c", PEER, urls, str(models / "models")], clean_env())
        rows = [("tieswatch poll --once", *ours), ("httpx + feedparser + our scoring", *peer[:3])]
        try:
            import reader  # noqa: F401
        except ImportError:
            reader_row = None
        else:
            reader_row = run_measured([sys.executable, "-c", READER, urls, str(Path(tmp) / "reader.db")], clean_env())
            rows.append(("lemon24/reader", *reader_row[:3]))
        print(f"\nfirst poll of {args.feeds} feeds ({args.feeds * args.items:,} items)")
        print(f"{'':34s} {'CPU s':>8s} {'wall s':>8s} {'peak MB':>8s}")
        for name, cpu, wall, peak in rows:
            print(f"{name:34s} {cpu:8.1f} {wall:8.1f} {peak:8.0f}")
        print(f"tieswatch / peer CPU: {ours[0] / peer[0]:.2f}x (target <= 1.5x)")
        if reader_row:
            print(f"tieswatch / reader CPU: {ours[0] / reader_row[0]:.2f}x (target <= 2x)")
        else:
            print("lemon24/reader: not installed, skipped (pip install reader to compare)")

        cycle, tick, new = steady_cycle(server, args.feeds, args.items, feeds_file(args.feeds), data_dir("cycle"))
        scale = PROJECTED_FEEDS / args.feeds
        ticks = CYCLE_SECONDS / 15  # a 5-minute interval gives a 15 s scheduler tick (bot.app.run.poll_tick)
        projected = (cycle * scale + ticks * tick * scale) / CYCLE_SECONDS
        print(
            f"\nsteady cycle of {args.feeds} feeds, {CHANGED:.0%} changed ({new} new items, the rest 304): "
            f"{cycle:.1f} CPU s; idle scheduler tick {tick * 1000:.0f} ms"
        )
        print(
            f"projected to {PROJECTED_FEEDS:,} feeds every {CYCLE_SECONDS // 60} minutes: "
            f"{projected:.2f} of one core (target <= 0.5)"
        )

        if args.memory:
            print("\npeak memory of a first poll by feed count (bot and workers together)")
            for n in args.memory:
                cpu, wall, peak = poll_once(n)
                print(f"{n:6d} feeds: {peak:6.0f} MB, {cpu:6.1f} CPU s, {wall:6.1f} s")


if __name__ == "__main__":
    main()
