"""The world an end-to-end test lives in: a Telegram emulator, a feed server, and tieswatch running
against both on loopback, with a clock the test can move forward."""

from __future__ import annotations

import asyncio
import shutil
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from xml.sax.saxutils import escape

from tg_emulator import TelegramEmulator

from bot.app.demo import FeedServer
from bot.app.run import serve
from bot.config import ALL_NETWORKS, Config
from bot.store import Store

ADMIN = 9000
TOKEN = "4242:TESTTOKEN"


class Clock:
    """Real time plus an offset the test controls (to make a digest come due without waiting an hour)."""

    def __init__(self) -> None:
        self.offset = timedelta(0)

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset


def rss(items: list[tuple[str, str, str, datetime]]) -> bytes:
    entries = "".join(
        f"<item><title>{escape(title)}</title><link>https://example.org/news/{key}</link>"
        f"<guid>https://example.org/news/{key}</guid><description>{escape(summary)}</description>"
        f"<pubDate>{when.strftime('%a, %d %b %Y %H:%M:%S +0000')}</pubDate></item>"
        for key, title, summary, when in items
    )
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>Wire</title>{entries}</channel></rss>'.encode()


@dataclass
class World:
    emu: TelegramEmulator
    feeds: FeedServer
    config: Config
    clock: Clock
    items: dict[str, list[tuple[str, str, str, datetime]]] = field(default_factory=dict)

    def publish(
        self, key: str, title: str, summary: str = "", age: timedelta = timedelta(0), feed: str = "/news.xml"
    ) -> None:
        """A news item appears on a loopback feed (the world's own, unless ``feed`` names another path)."""
        self.items.setdefault(feed, []).append((key, title, summary, self.clock() - age))
        self.feeds.put(feed, rss(self.items[feed]))

    def store(self) -> Store:
        return Store.open(self.config.db_path)

    def query(self, sql: str, args: list | None = None) -> list[dict]:
        store = self.store()
        try:
            return [dict(r) for r in store.db.query(sql, args or [])]
        finally:
            store.close()

    def sent_to(self, chat_id: int, containing: str) -> list[dict]:
        return [m for m in self.emu.sent(chat_id) if containing in m["text"]]

    async def user_starts(self, user_id: int, language: str = "en") -> dict:
        self.emu.add_user(user_id, first_name=f"User{user_id}", language_code=language)
        self.emu.send_text(user_id, "/start")
        return await self.emu.await_for(lambda _: self.emu.sent(user_id)[-1], timeout=10)

    async def item_stored(self, key: str, timeout: float = 10) -> None:
        link = f"https://example.org/news/{key}"
        for _ in range(int(timeout / 0.1)):
            if self.query("SELECT 1 FROM scores JOIN items ON items.id = scores.item_id WHERE items.link = ?", [link]):
                return
            await asyncio.sleep(0.1)
        raise AssertionError(f"item {key} was never polled and scored")


def write_feeds(path: Path, url: str) -> None:
    path.write_text(f"feeds:\n  - name: Loopback Wire\n    url: {url}\n    language: en\n    interval: 1s\n")


def make_config(tmp_path: Path, trained_model_dir: Path, emu_url: str, feed_url: str, **overrides: object) -> Config:
    data = tmp_path / "data"
    shutil.copytree(trained_model_dir / "models", data / "models")
    feeds_yaml = tmp_path / "feeds.yaml"
    write_feeds(feeds_yaml, feed_url)
    return Config(
        feeds_path=feeds_yaml,
        data_dir=data,
        telegram_token=TOKEN,
        telegram_api_url=emu_url,
        admins=frozenset({ADMIN}),
        **{"min_interval": 1, "allowed_networks": ALL_NETWORKS, **overrides},  # our loopback feeds, polled every second
    )


async def start_world(tmp_path: Path, trained_model_dir: Path, **overrides: object):
    emu = TelegramEmulator(token=TOKEN)
    await emu.start()
    feeds = FeedServer().start()
    feeds.put("/news.xml", rss([]))
    config = make_config(tmp_path, trained_model_dir, emu.url, feeds.url("/news.xml"), **overrides)
    clock = Clock()
    stop = asyncio.Event()
    task = asyncio.create_task(serve(config, stop, clock=clock))
    await emu.await_for(lambda _: emu.calls("getUpdates"), timeout=30)
    world = World(emu, feeds, config, clock)
    return world, stop, task


async def stop_world(world: World, stop: asyncio.Event, task: asyncio.Task) -> None:
    stop.set()
    await asyncio.wait_for(task, 30)
    world.feeds.stop()
    await world.emu.stop()
