"""Benchmark: fanning one alert out to N subscribers through python-telegram-bot and the Telegram
emulator on loopback, with the outbox's governor at Telegram's limits (just under 30 messages/s overall,
1/s per chat). ``--latency`` makes the emulator wait that long before answering each call, as a real
network's round trip to Telegram does; the busiest second is counted at the emulator, as Telegram would.

    .venv/bin/python benchmarks/fanout_bench.py [--subscribers 1000] [--latency 0.1] [--in-flight 8]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from telegram import Bot  # noqa: E402
from tg_emulator import TelegramEmulator  # noqa: E402

from bot.app.telegram import TelegramSink  # noqa: E402
from bot.deliver import subscriptions  # noqa: E402
from bot.deliver.outbox import IN_FLIGHT, Governor, deliver_due  # noqa: E402
from bot.ingest.parse import parse_feed  # noqa: E402
from bot.pipeline import fan_out, raise_alerts  # noqa: E402
from bot.store import Store  # noqa: E402
from bot.types import Feed, Score  # noqa: E402
from classifier.excerpt import Excerpt  # noqa: E402

RSS = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>Wire</title><item>
<title>Seoul: 2,000 more North Korean troops sent to Kursk</title><link>https://example.org/1</link>
<description>The soldiers joined Russian units near the border.</description></item></channel></rss>"""


async def main(n: int, latency: float, in_flight: int) -> None:
    now = datetime.now(UTC)
    async with TelegramEmulator(token="1:BENCH") as emu:
        if latency:
            emu.slow("*", latency)
        with tempfile.TemporaryDirectory() as tmp:
            store = Store.open(Path(tmp) / "bench.db")
            for chat in range(1, n + 1):
                emu.add_user(chat)
                subscriptions.subscribe(store, chat, "private", "", "en", now)
            feed = Feed("Wire", "https://example.org/feed", "en")
            (item,) = parse_feed(RSS, feed, {"content-type": "application/rss+xml"}, now).items
            store.add_items([item])
            score = Score(item.id, 0.99, True, ("troops",), Excerpt("The soldiers joined Russian units.", ()), "bench")
            alerts = raise_alerts(store, [item], {item.id: score}, 0.5, now, False, timedelta(hours=6))
            queued = fan_out(store, alerts, {"strict": 0.8, "normal": 0.5, "broad": 0.3}, now)
            bot = Bot("1:BENCH", base_url=emu.url + "/bot", base_file_url=emu.url + "/file/bot")
            async with bot:
                start = time.perf_counter()
                report = await deliver_due(store, TelegramSink(bot), Governor(in_flight=in_flight))
                seconds = time.perf_counter() - start
            calls = [c["time"] for c in emu.calls("sendMessage")]
            worst = max(sum(1 for t in calls if s <= t < s + 1.0) for s in calls)
            print(
                f"{queued} deliveries queued; {report.sent} sent in {seconds:.1f} s "
                f"({report.sent / seconds:.1f} messages/s; busiest second at the emulator: {worst} messages; "
                f"{latency * 1000:.0f} ms per call, up to {in_flight} in flight)"
            )
            store.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--subscribers", type=int, default=1000)
    parser.add_argument("--latency", type=float, default=0.0, metavar="SECONDS", help="emulator delay per call")
    parser.add_argument("--in-flight", type=int, default=IN_FLIGHT, help="messages sent at once (to different chats)")
    args = parser.parse_args()
    asyncio.run(main(args.subscribers, args.latency, args.in_flight))
