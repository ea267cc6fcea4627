"""A crash in the middle of delivering loses nothing and re-sends at most the message in flight to each chat."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime

import pytest
from botworld import TOKEN, make_config, rss
from tg_emulator import TelegramEmulator

from bot.app.demo import FeedServer
from bot.deliver import subscriptions
from bot.store import Store

CHATS = list(range(2001, 2007))
pytestmark = pytest.mark.e2e


def bot_env(config, token: str | None = None, **more: str) -> dict[str, str]:
    """The environment `tieswatch run` gets: this machine's, with the bot's settings and nothing else of ours."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TIESWATCH_", "TELEGRAM_"))}
    env.update(
        TELEGRAM_BOT_TOKEN=token or config.telegram_token,
        TELEGRAM_API_URL=config.telegram_api_url,
        TIESWATCH_FEEDS=str(config.feeds_path),
        TIESWATCH_DATA=str(config.data_dir),
        TIESWATCH_MIN_INTERVAL=str(config.min_interval),
        TIESWATCH_ALLOW_PRIVATE="1",  # the feeds are served on loopback
        **more,
    )
    return env


def start_bot(config, log_path):
    log = open(log_path, "ab")  # noqa: SIM115 - handed to the child process
    # Two messages in flight (to two chats) over six chats: the kill lands with more than one message out.
    env = bot_env(config, TIESWATCH_SENDS_IN_FLIGHT="2")
    return subprocess.Popen([sys.executable, "-m", "bot", "run"], env=env, stdout=log, stderr=log)


@contextlib.contextmanager
def threaded_world(tmp_path, trained_model_dir):
    """The emulator and a feed server in threads, and the configuration of a bot that uses them."""
    emu = TelegramEmulator(token=TOKEN)
    emu.start_in_thread()
    try:
        with FeedServer() as feeds:
            feeds.put("/news.xml", rss([]))
            yield emu, feeds, make_config(tmp_path, trained_model_dir, emu.url, feeds.url("/news.xml"))
    finally:
        emu.stop_thread()


def alerts_by_chat(emu: TelegramEmulator) -> dict[int, int]:
    return {chat: sum("Kursk" in m["text"] for m in emu.sent(chat)) for chat in CHATS}


def test_killing_the_bot_mid_delivery_loses_nothing_and_duplicates_at_most_one_per_chat(tmp_path, trained_model_dir):
    with threaded_world(tmp_path, trained_model_dir) as (emu, feeds, config):
        store = Store.open(config.db_path)
        for chat in CHATS:
            emu.add_user(chat)
            subscriptions.subscribe(store, chat, "private", f"user {chat}", "en", datetime.now(UTC))
        store.close()
        emu.slow("sendMessage", 0.6)  # every send takes a while: the kill lands mid-delivery

        bot = start_bot(config, tmp_path / "bot.log")
        emu.wait_for(lambda _: emu.calls("getUpdates"), timeout=60)
        item = (
            "k1",
            "North Korean troops reach Kursk, Seoul says",
            "Intelligence says 3,000 soldiers joined Russian units near Kursk.",
            datetime.now(UTC),
        )
        feeds.put("/news.xml", rss([item]))
        emu.wait_for(lambda _: sum(alerts_by_chat(emu).values()) >= 2, timeout=30)
        bot.send_signal(signal.SIGKILL)
        bot.wait(10)
        assert sum(alerts_by_chat(emu).values()) < len(CHATS), "the kill came too late to test anything"

        bot = start_bot(config, tmp_path / "bot.log")
        emu.wait_for(lambda _: all(alerts_by_chat(emu).values()), timeout=60)
        time.sleep(2)  # anything still to come would come now
        bot.send_signal(signal.SIGTERM)
        assert bot.wait(20) == 0  # SIGTERM stops it cleanly
    counts = alerts_by_chat(emu)
    assert all(n >= 1 for n in counts.values()), counts  # nothing lost
    assert all(n <= 2 for n in counts.values()), counts  # at most the one message in flight to a chat again
    assert sum(counts.values()) - len(CHATS) <= 2, counts  # and no more than were in flight at once


def test_a_refused_token_stops_the_bot_with_a_clear_message(tmp_path, trained_model_dir):
    with threaded_world(tmp_path, trained_model_dir) as (_, _, config):
        done = subprocess.run(
            [sys.executable, "-m", "bot", "run"],
            env=bot_env(config, "999:WRONG"),
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert done.returncode == 1
    assert "Telegram refused TELEGRAM_BOT_TOKEN" in done.stderr
    assert "999:WRONG" not in done.stderr + done.stdout  # the secret never reaches the log
