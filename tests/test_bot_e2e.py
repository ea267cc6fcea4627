"""End to end: people use the bot through the real python-telegram-bot client, a Telegram emulator and a
feed server on loopback; tieswatch runs as it does in production (scheduler, pipeline, outbox, SQLite)."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta

import pytest
from botworld import ADMIN, start_world, stop_world

RELEVANT = (
    "Seoul: 2,000 more North Korean troops sent to Kursk",
    "South Korea's spy agency said the soldiers arrived by ship in Vladivostok and were moved to the front "
    "with Russian units; Pyongyang has also shipped more artillery shells.",
)
IRRELEVANT = ("Milan fashion week opens with record attendance", "Designers showed spring collections in the city.")

pytestmark = pytest.mark.e2e


@pytest.fixture
async def world(tmp_path, trained_model_dir):
    world, stop, task = await start_world(tmp_path, trained_model_dir)
    yield world
    await stop_world(world, stop, task)


def buttons(message: dict) -> list[tuple[str, str]]:
    rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
    return [(b["text"], b.get("callback_data", "")) for row in rows for b in row]


async def test_a_subscriber_gets_an_alert_with_its_excerpt_and_labels_it(world):
    emu = world.emu
    welcome = await world.user_starts(1001)
    assert "Welcome to tieswatch" in welcome["text"] and "/settings" in welcome["text"]

    published = time.monotonic()
    world.publish("1", *RELEVANT)
    alert = await emu.await_for(lambda _: world.sent_to(1001, "Kursk")[0], timeout=15)
    latency = time.monotonic() - published
    print(f"\nitem on the feed -> alert in Telegram: {latency:.2f} s (poll tick 1 s)")

    assert (
        '<a href="https://example.org/news/1"><b>Seoul: 2,000 more North Korean troops sent to Kursk</b></a>'
        in alert["html"]
    )
    assert "Loopback Wire" in alert["text"] and "EN" in alert["text"]
    assert "<b>Vladivostok</b>" in alert["html"] or "<b>Russian</b>" in alert["html"]  # decisive terms in bold
    assert "why:" in alert["text"]
    labels = buttons(alert)
    assert [label for label, _ in labels] == ["✅ Relevant", "❌ Not relevant"]

    emu.press_button(1001, alert["message_id"], labels[0][1])
    answer = await emu.await_for(lambda _: emu.callback_answers[-1], timeout=10)
    assert answer["text"] == "Thanks: marked relevant."
    stored = world.query("SELECT labels.label, labels.source, labels.user_id FROM labels")
    assert stored == [{"label": 1, "source": "button", "user_id": 1001}]

    # Changing one's mind replaces the label: one per user per item.
    emu.press_button(1001, alert["message_id"], labels[1][1])
    await emu.await_for(lambda _: len(emu.callback_answers) == 2, timeout=10)
    assert world.query("SELECT label FROM labels") == [{"label": 0}]

    # An irrelevant item is stored and scored, and nobody hears of it.
    before = len(emu.sent(1001))
    world.publish("2", *IRRELEVANT)
    await world.item_stored("2")
    await asyncio.sleep(1.5)
    assert len(emu.sent(1001)) == before
    assert world.query("SELECT COUNT(*) AS n FROM alerts")[0]["n"] == 1


async def test_commands_answer_in_the_users_language_and_unknown_ones_get_help(world):
    emu = world.emu
    welcome = await world.user_starts(1101, language="it")
    assert welcome["text"].startswith("Benvenuto in tieswatch")
    emu.send_text(1101, "/help")
    help_text = await emu.await_for(lambda _: world.sent_to(1101, "/recent")[-1], timeout=10)
    assert "/settings" in help_text["text"]
    emu.send_text(1101, "ciao")
    reply = await emu.await_for(lambda _: world.sent_to(1101, "Non ho capito")[-1], timeout=10)
    assert "/start" in reply["text"]
    emu.send_text(1101, "/recent abc")
    await emu.await_for(lambda _: world.sent_to(1101, "Uso: /recent")[-1], timeout=10)

    world.publish("10", *RELEVANT)
    await emu.await_for(lambda _: world.sent_to(1101, "Kursk"), timeout=15)
    emu.send_text(1101, "/recent 3")
    recent = await emu.await_for(lambda _: world.sent_to(1101, "Ultimi")[-1], timeout=10)
    assert "Seoul: 2,000 more North Korean troops" in recent["text"]
    emu.send_text(1101, "/status")
    status = await emu.await_for(lambda _: world.sent_to(1101, "Stato")[-1], timeout=10)
    assert "Fonti: 1" in status["text"] and "Avvisi di oggi: 1" in status["text"]

    emu.send_text(1101, "/stop")
    await emu.await_for(lambda _: world.sent_to(1101, "annullata"), timeout=10)
    world.publish(
        "11",
        "Japan sanctions ships that carried North Korean shells to Russia",
        "Tokyo froze assets of firms moving artillery ammunition from Rajin to Vostochny.",
    )
    await world.item_stored("11")
    await asyncio.sleep(1.5)
    assert not world.sent_to(1101, "Japan sanctions")


def find_borderline(model, low: float, high: float) -> tuple[str, str]:
    """A text of ours the model scores between two thresholds (between normal and strict)."""
    from classifier.corpus import bundled_examples

    examples = [e for e in bundled_examples() if "\n" not in e.body and len(e.title) > 20]
    scores = model.predict_proba([(e.title, e.body) for e in examples])
    for example, score in zip(examples, scores, strict=True):
        if low + 0.01 <= score < high - 0.01:
            return example.title, example.body
    raise AssertionError("no corpus item scores between the thresholds")


async def test_settings_are_honoured_strict_hides_a_borderline_item_and_digest_batches(world, model):
    emu = world.emu
    await world.user_starts(1201)  # normal sensitivity, instant
    await world.user_starts(1202)
    emu.send_text(1202, "/settings")
    panel = await emu.await_for(lambda _: world.sent_to(1202, "Sensitivity")[-1], timeout=10)
    emu.press_button(1202, panel["message_id"], "set:sens:strict")
    await emu.await_for(
        lambda _: world.query("SELECT sensitivity FROM subscribers WHERE chat_id = 1202")[0]["sensitivity"] == "strict",
        timeout=10,
    )
    edited = await emu.await_for(
        lambda _: next((m for m in emu.sent(1202) if m["message_id"] == panel["message_id"] and m["edited"]), None),
        timeout=10,
    )
    assert "strict" in edited["text"]

    title, body = find_borderline(model, model.threshold_for("normal"), model.threshold_for("strict"))
    world.publish("20", title, body)
    await emu.await_for(lambda _: world.sent_to(1201, title[:30]), timeout=15)
    await asyncio.sleep(1.5)
    assert not world.sent_to(1202, title[:30])  # strict: not for this subscriber

    # Digest: alerts are held, then come together in one message.
    panel = (await emu.await_for(lambda _: world.sent_to(1202, "Sensitivity"), timeout=10))[-1]
    emu.press_button(1202, panel["message_id"], "set:mode:hourly")
    await emu.await_for(
        lambda _: world.query("SELECT digest FROM subscribers WHERE chat_id = 1202")[0]["digest"] == "hourly",
        timeout=10,
    )
    world.publish("21", *RELEVANT)
    world.publish(
        "22",
        "Japan sanctions ships that carried North Korean shells to Russia",
        "Tokyo froze assets of firms moving artillery ammunition from Rajin to Vostochny.",
    )
    await emu.await_for(lambda _: world.sent_to(1201, "Japan sanctions"), timeout=15)
    await asyncio.sleep(1.5)
    assert not world.sent_to(1202, "Kursk") and not world.sent_to(1202, "Japan sanctions"), [
        (m["message_id"], m["text"][:300]) for m in emu.sent(1202)
    ]
    world.clock.offset = timedelta(hours=1, minutes=1)
    digest = await emu.await_for(lambda _: world.sent_to(1202, "tieswatch digest")[0], timeout=15)
    assert "2 items" in digest["text"] and "Kursk" in digest["text"] and "Japan sanctions" in digest["text"]
    assert digest["html"].count('<a href="https://example.org/news/') == 2


async def test_a_429_is_waited_out_a_403_unsubscribes_and_a_5xx_is_retried_each_for_its_chat_only(world):
    emu = world.emu
    for chat in (1301, 1302, 1303, 1304):
        await world.user_starts(chat)
    emu.fail("sendMessage", chat_id=1304, status=502, description="Bad Gateway", times=2)
    emu.fail("sendMessage", chat_id=1301, status=429, retry_after=2, times=1)
    emu.fail("sendMessage", chat_id=1302, status=403, description="Forbidden: bot was blocked by the user", times=None)
    start = time.monotonic()
    world.publish("30", *RELEVANT)
    await emu.await_for(lambda _: world.sent_to(1303, "Kursk"), timeout=15)
    healthy = time.monotonic() - start
    await emu.await_for(lambda _: world.sent_to(1301, "Kursk"), timeout=20)
    throttled = time.monotonic() - start
    assert throttled >= healthy + 1.5  # retry_after honoured for that chat only
    await emu.await_for(
        lambda _: world.query("SELECT active FROM subscribers WHERE chat_id = 1302")[0]["active"] == 0, timeout=10
    )
    assert not world.sent_to(1302, "Kursk")
    assert len(world.sent_to(1301, "Kursk")) == 1 and len(world.sent_to(1303, "Kursk")) == 1
    await emu.await_for(lambda _: world.sent_to(1304, "Kursk"), timeout=30)  # two 502s, then through
    assert len(world.sent_to(1304, "Kursk")) == 1
    assert world.query("SELECT attempts FROM deliveries WHERE chat_id = 1304") == [{"attempts": 3}]


async def test_in_a_group_only_admins_change_settings_and_admins_label_by_command(world):
    emu = world.emu
    emu.add_user(1401, first_name="Boss")
    emu.add_user(1402, first_name="Member")
    emu.add_group(-1001400, "Analysts", admins=[1401], type="supergroup")
    emu.send_text(-1001400, "/start", user_id=1402)
    await emu.await_for(lambda _: world.sent_to(-1001400, "only its admins"), timeout=10)
    emu.send_text(-1001400, "/start", user_id=1401)
    await emu.await_for(lambda _: world.sent_to(-1001400, "Welcome"), timeout=10)
    emu.send_text(-1001400, "/settings", user_id=1402)
    panel = await emu.await_for(lambda _: world.sent_to(-1001400, "Sensitivity")[-1], timeout=10)
    emu.press_button(-1001400, panel["message_id"], "set:sens:broad", user_id=1402)
    answer = await emu.await_for(lambda _: emu.callback_answers[-1], timeout=10)
    assert "admins" in answer["text"]
    assert world.query("SELECT sensitivity FROM subscribers WHERE chat_id = -1001400")[0]["sensitivity"] == "normal"
    emu.press_button(-1001400, panel["message_id"], "set:sens:broad", user_id=1401)
    await emu.await_for(
        lambda _: (
            world.query("SELECT sensitivity FROM subscribers WHERE chat_id = -1001400")[0]["sensitivity"] == "broad"
        ),
        timeout=10,
    )

    world.publish("40", *RELEVANT)
    await emu.await_for(lambda _: world.sent_to(-1001400, "Kursk"), timeout=15)
    emu.add_user(ADMIN, first_name="Admin")
    emu.send_text(ADMIN, "/label https://example.org/news/40 no")
    await emu.await_for(lambda _: world.sent_to(ADMIN, "Label saved"), timeout=10)
    assert world.query("SELECT label, source, is_admin FROM labels WHERE user_id = ?", [ADMIN]) == [
        {"label": 0, "source": "command", "is_admin": 1}
    ]
    emu.send_text(1402, "/label https://example.org/news/40 yes")
    await emu.await_for(lambda _: world.sent_to(1402, "Only the bot's admins"), timeout=10)


async def test_the_first_poll_of_a_new_feed_alerts_only_on_recent_items(tmp_path, trained_model_dir):
    from botworld import Clock, TelegramEmulator, make_config, rss

    from bot.app.demo import FeedServer
    from bot.app.run import serve
    from bot.store import Store

    emu = TelegramEmulator(token="4242:TESTTOKEN")
    await emu.start()
    clock = Clock()
    old = clock() - timedelta(hours=30)
    with FeedServer() as feeds:
        feeds.put(
            "/news.xml",
            rss(
                [
                    ("old", *RELEVANT, old),
                    (
                        "new",
                        "Kim and Putin sign a military pact",
                        "The treaty obliges mutual military assistance.",
                        clock(),
                    ),
                ]
            ),
        )
        config = make_config(tmp_path, trained_model_dir, emu.url, feeds.url("/news.xml"))
        store = Store.open(config.db_path)
        from bot.deliver import subscriptions

        subscriptions.subscribe(store, 1501, "private", "U", "en", clock())
        store.close()
        emu.add_user(1501)
        stop = asyncio.Event()
        task = asyncio.create_task(serve(config, stop, clock=clock))
        await emu.await_for(lambda _: [m for m in emu.sent(1501) if "pact" in m["text"]], timeout=30)
        await asyncio.sleep(1.5)
        stop.set()
        await task
    await emu.stop()
    assert not [m for m in emu.sent(1501) if "Kursk" in m["text"]]


async def test_the_bot_waits_for_an_unreachable_telegram_and_connects_when_it_comes(
    tmp_path, trained_model_dir, caplog
):
    import logging
    import socket

    from botworld import TOKEN, TelegramEmulator, make_config, rss

    from bot.app.demo import FeedServer
    from bot.app.run import serve

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    caplog.set_level(logging.WARNING, logger="bot.telegram_bot")
    with FeedServer() as feeds:
        feeds.put("/news.xml", rss([]))
        config = make_config(tmp_path, trained_model_dir, f"http://127.0.0.1:{port}", feeds.url("/news.xml"))
        stop = asyncio.Event()
        task = asyncio.create_task(serve(config, stop))
        for _ in range(200):  # Telegram is down: the bot says so and keeps trying
            if "cannot reach Telegram" in caplog.text:
                break
            await asyncio.sleep(0.1)
        assert "cannot reach Telegram" in caplog.text and not task.done()
        emu = TelegramEmulator(token=TOKEN, port=port)
        await emu.start()
        try:
            emu.add_user(1701)
            emu.send_text(1701, "/start")
            await emu.await_for(lambda _: [m for m in emu.sent(1701) if "Welcome" in m["text"]], timeout=30)
        finally:
            stop.set()
            await asyncio.wait_for(task, 30)
            await emu.stop()
