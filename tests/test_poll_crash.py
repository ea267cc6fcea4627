"""A crash or a stop in the middle of a poll loses no alert and sends none twice: a real `tieswatch run` is
killed (SIGKILL) while a feed is still being fetched and while new items are being scored, and stopped
(SIGTERM to its process group) while scoring; after a restart every relevant item has been alerted exactly
once."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from botworld import TOKEN, make_config, rss
from test_delivery_crash import bot_env
from tg_emulator import TelegramEmulator
from werkzeug import Request, Response

from bot.app.demo import FeedServer
from bot.deliver import subscriptions
from bot.store import Store

CHATS = [3001, 3002]
pytestmark = pytest.mark.e2e


def relevant(key: str) -> tuple[str, str, str, datetime]:
    return (
        key,
        f"North Korean troops reach Kursk, Seoul says ({key})",
        "Intelligence says 3,000 soldiers joined Russian units near Kursk.",
        datetime.now(UTC),
    )


def filler(n: int, prefix: str) -> list[tuple[str, str, str, datetime]]:
    return [
        (
            f"{prefix}{i}",
            f"Central bank leaves rates unchanged, note {prefix}{i}",
            "Inflation eases slowly.",
            datetime.now(UTC),
        )
        for i in range(n)
    ]


@contextlib.contextmanager
def world(tmp_path: Path, trained_model_dir: Path, server, feeds: dict[str, bytes | None]):
    """The emulator with two subscribed chats, the feeds (a document, served with an ETag so that later polls
    cost a 304; or None, a handler the test gives ``server``), and the bot's configuration."""
    emu = TelegramEmulator(token=TOKEN)
    emu.start_in_thread()
    documents = FeedServer().start()
    try:
        urls = {}
        for path, body in feeds.items():
            if body is None:
                urls[path] = server.url_for(path)
            else:
                documents.put(path, body)
                urls[path] = documents.url(path)
        config = make_config(tmp_path, trained_model_dir, emu.url, documents.url("/unused"))
        lines = ["feeds:"]
        for path, url in urls.items():
            lines += [f"  - name: Feed {path}", f"    url: {url}", "    language: en", "    interval: 1s"]
        config.feeds_path.write_text("\n".join(lines) + "\n")
        store = Store.open(config.db_path)
        for chat in CHATS:
            emu.add_user(chat)
            sub, _ = subscriptions.subscribe(store, chat, "private", f"user {chat}", "en", datetime.now(UTC))
            # Every report its own message: the items here all report the same event, and each must be
            # seen to arrive exactly once (by default they would join one story's message).
            store.save_subscriber(replace(sub, every_report=True), datetime.now(UTC))
        store.close()
        yield emu, config, documents
    finally:
        documents.stop()
        emu.stop_thread()


def start(config, log: Path) -> subprocess.Popen:
    out = open(log, "ab")  # noqa: SIM115 - handed to the child process
    return subprocess.Popen(
        [sys.executable, "-m", "bot", "-v", "run"],
        env=bot_env(config, TIESWATCH_WORKERS="1"),  # a worker process, to be killed along with the bot
        stdout=out,
        stderr=out,
        start_new_session=True,
    )


def wait_until(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def query(config, sql: str) -> list[tuple]:
    store = Store.open(config.db_path)
    try:
        return [tuple(r) for r in store.db.execute(sql).fetchall()]
    finally:
        store.close()


def processes_of(config) -> list[int]:
    """Processes (the bot and its workers) whose environment names this test's data directory."""
    marker = f"TIESWATCH_DATA={config.data_dir}".encode()
    found = []
    for env in Path("/proc").glob("[0-9]*/environ"):
        try:
            if marker in env.read_bytes().split(b"\0"):
                found.append(int(env.parent.name))
        except OSError:  # gone meanwhile, or not ours to read
            continue
    return found


def messages(emu: TelegramEmulator, key: str) -> list[int]:
    """How many messages each chat got about the item ``key``."""
    return [sum(f"({key})" in m["text"] for m in emu.sent(chat)) for chat in CHATS]


def exactly_once(emu: TelegramEmulator, config, keys: list[str]) -> None:
    alerted = query(config, "SELECT items.link FROM alerts JOIN items ON items.id = alerts.item_id")
    assert sorted(link for (link,) in alerted) == sorted(f"https://example.org/news/{k}" for k in keys)
    for key in keys:
        assert messages(emu, key) == [1] * len(CHATS), key


def stop_cleanly(bot: subprocess.Popen) -> None:
    """SIGTERM to the bot's whole process group, as systemd, docker or a Ctrl-C in a terminal send it."""
    os.killpg(bot.pid, signal.SIGTERM)
    assert bot.wait(40) == 0


def test_killed_while_a_slow_feed_is_fetched_the_other_feeds_alerts_are_out_and_the_slow_one_follows(
    tmp_path, trained_model_dir, server
):
    release, asked = threading.Event(), threading.Event()
    slow_items = [relevant(f"slow{i}") for i in range(2)]

    def slow(request: Request) -> Response:
        asked.set()
        release.wait(30)  # the first run's fetch hangs here until the bot is killed
        return Response(rss(slow_items), content_type="application/rss+xml")

    fast = {f"/fast{n}.xml": rss([relevant(f"f{n}k{i}") for i in range(2)] + filler(5, f"f{n}x")) for n in range(2)}
    with world(tmp_path, trained_model_dir, server, {**fast, "/slow.xml": None}) as (emu, config, _):
        server.expect_request("/slow.xml").respond_with_handler(slow)
        fast_keys = [f"f{n}k{i}" for n in range(2) for i in range(2)]
        bot = start(config, tmp_path / "bot.log")
        try:
            # The slow feed holds nobody up: the other feeds' alerts arrive while its fetch is still under way.
            wait_until(lambda: all(messages(emu, k) == [1, 1] for k in fast_keys), 60, "the fast feeds' alerts")
            assert asked.is_set() and not any(r.path == "/slow.xml" for r, _ in server.log)  # still under way
            bot.send_signal(signal.SIGKILL)
            bot.wait(10)
        finally:
            release.set()
        bot = start(config, tmp_path / "bot.log")
        keys = fast_keys + [k for k, *_ in slow_items]
        wait_until(lambda: all(messages(emu, k) == [1, 1] for k in keys), 60, "every alert after the restart")
        time.sleep(1.5)  # a duplicate would come now
        stop_cleanly(bot)
        exactly_once(emu, config, keys)


BIG = 1000  # new items in each batch whose scoring is interrupted: long enough to land a signal in it
HOT = 3  # relevant items among them


def batch(name: str) -> tuple[list[tuple[str, str, str, datetime]], list[str]]:
    hot = [relevant(f"{name}{i}") for i in range(HOT)]
    return filler(BIG // 2, f"{name}a") + hot + filler(BIG // 2, f"{name}b"), [k for k, *_ in hot]


def scoring_started(log: Path, times: int) -> bool:
    return log.exists() and log.read_text(errors="replace").count(f"scoring {BIG + HOT} new items") >= times


def test_killed_while_scoring_then_stopped_while_scoring_every_alert_goes_out_once(tmp_path, trained_model_dir, server):
    first, keys = batch("k")
    with world(tmp_path, trained_model_dir, server, {"/big.xml": rss(first)}) as (emu, config, documents):
        log = tmp_path / "bot.log"
        bot = start(config, log)
        wait_until(lambda: scoring_started(log, 1), 90, "scoring to start")
        assert len(processes_of(config)) >= 2  # the bot and its worker, which was scoring
        bot.send_signal(signal.SIGKILL)
        bot.wait(10)
        wait_until(lambda: not processes_of(config), 10, "the killed bot's worker to end")
        # All or nothing: the items, their scores and alerts, and the feed's validators commit together.
        assert query(config, "SELECT COUNT(*) FROM items") == [(0,)], "the kill came too late to test anything"
        assert query(config, "SELECT COUNT(*) FROM alerts") == [(0,)]

        bot = start(config, log)  # fetches the same document again (its validators were never stored)
        wait_until(lambda: all(messages(emu, k) == [1, 1] for k in keys), 90, "every alert after the restart")
        second, more = batch("t")
        documents.put("/big.xml", rss(second + first))
        wait_until(lambda: scoring_started(log, 3), 90, "the second batch's scoring to start")
        stop_cleanly(bot)  # bounded: the stop waits only for the documents in hand
        assert query(config, "SELECT COUNT(*) FROM items") == [(2 * (BIG + HOT),)]  # finished, not dropped
        assert query(config, "SELECT COUNT(*) FROM alerts") == [(2 * HOT,)]

        bot = start(config, log)
        wait_until(lambda: all(messages(emu, k) == [1, 1] for k in keys + more), 60, "the queued alerts")
        time.sleep(1.5)  # a duplicate would come now
        stop_cleanly(bot)
        exactly_once(emu, config, keys + more)
