"""Admins keep the bot sharp from Telegram: feeds added and removed (feeds.yaml edited, the running bot
polls the change), /review, /retrain (the next item is scored by the promoted model), paused feeds."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from botworld import ADMIN, rss, start_world, stop_world
from conftest import DATA

from bot.ingest.feeds_yaml import load_feeds
from bot.learn.labels import import_labels
from classifier import registry
from classifier.corpus import bundled_examples
from classifier.training import train

pytestmark = pytest.mark.e2e


@pytest.fixture
async def world(tmp_path, trained_model_dir, small_corpus):
    world, stop, task = await start_world(tmp_path, trained_model_dir, pause_after=2, corpus=small_corpus)
    world.emu.add_user(ADMIN, first_name="Admin")
    yield world
    await stop_world(world, stop, task)


async def admin_says(world, text: str, expect: str, timeout: float = 15) -> dict:
    world.emu.send_text(ADMIN, text)
    return await world.emu.await_for(lambda _: world.sent_to(ADMIN, expect)[-1], timeout=timeout)


async def test_admins_add_and_remove_feeds_and_the_running_bot_follows(world):
    await world.user_starts(1601)
    world.config.feeds_path.write_text("# the team's feeds\n" + world.config.feeds_path.read_text())
    world.feeds.put(
        "/second.xml",
        rss(
            [
                (
                    "s1",
                    "Pyongyang ships more rocket launchers to Russia",
                    "Satellite images show 240mm launchers loaded at Rajin.",
                    datetime.now(UTC),
                )
            ]
        ),
    )
    await admin_says(world, f"/addfeed {world.feeds.url('/second.xml')} en Second Wire", "Added Second Wire")
    names = [f.name for f in load_feeds(world.config.feeds_path, world.config.min_interval)]
    assert names == ["Loopback Wire", "Second Wire"]
    assert world.config.feeds_path.read_text().startswith("# the team's feeds")
    await world.emu.await_for(lambda _: world.sent_to(1601, "rocket launchers"), timeout=20)

    feeds = await admin_says(world, "/feeds", "Feeds")
    assert "Second Wire" in feeds["text"] and "/day" in feeds["text"]
    await admin_says(world, "/rmfeed Second Wire", "Removed Second Wire")
    assert [f.name for f in load_feeds(world.config.feeds_path, world.config.min_interval)] == ["Loopback Wire"]
    asked = len([r for r in world.feeds.requests if r[0] == "/second.xml"])
    await asyncio.sleep(3)  # several poll rounds: the removed feed is not asked again
    assert len([r for r in world.feeds.requests if r[0] == "/second.xml"]) == asked
    await admin_says(world, "/addfeed", "Usage: /addfeed")
    world.emu.add_user(1602)
    world.emu.send_text(1602, "/addfeed https://example.org/x.xml")
    await world.emu.await_for(lambda _: world.sent_to(1602, "Only the bot's admins"), timeout=10)


async def test_a_feed_failing_past_the_streak_is_paused_and_admins_told_once(world):
    world.config.feeds_path.write_text(
        world.config.feeds_path.read_text() + f"  - name: Dead Wire\n    url: {world.feeds.url('/gone.xml')}\n"
        "    language: en\n    interval: 1s\n"
    )
    notice = await world.emu.await_for(lambda _: world.sent_to(ADMIN, "Feed paused: Dead Wire")[0], timeout=30)
    assert "/resume" in notice["text"]
    await asyncio.sleep(3)
    assert len(world.sent_to(ADMIN, "Feed paused")) == 1
    world.feeds.put("/gone.xml", rss([]))
    await admin_says(world, "/resume Dead Wire", "Resumed Dead Wire")
    await asyncio.sleep(2)
    assert world.query("SELECT paused_at, error_streak FROM feeds WHERE name = 'Dead Wire'") == [
        {"paused_at": None, "error_streak": 0}
    ]


async def test_review_asks_about_items_near_the_threshold(world):
    world.publish(
        "r1",
        "Kim visits a drone factory; analysts see Russian help",
        "Experts said the new models may reflect technology from Moscow.",
    )
    world.publish("r2", "Football: Seoul beat Busan 2-1", "")
    await world.item_stored("r1")
    await world.item_stored("r2")
    first = await admin_says(world, "/review", "Review")
    data = [b["callback_data"] for row in first["reply_markup"]["inline_keyboard"] for b in row]
    world.emu.press_button(ADMIN, first["message_id"], data[0])
    await world.emu.await_for(lambda _: len(world.sent_to(ADMIN, "Review")) == 2, timeout=10)
    labels = world.query("SELECT source, label, user_id FROM labels")
    assert labels == [{"source": "review", "label": 1, "user_id": ADMIN}]
    second = world.sent_to(ADMIN, "Review")[-1]  # the next item still unlabelled comes at once
    assert second["message_id"] != first["message_id"] and second["text"] != first["text"]


async def test_retrain_from_telegram_promotes_and_the_next_item_uses_the_new_model(world):
    models = world.config.models_dir
    weak = train(bundled_examples()[::40])  # the model in use is weak: a retrain must beat it
    registry.save(models, weak, make_current=True)
    store = world.store()
    import_labels(store, DATA / "labels.jsonl", world.clock())
    store.close()
    await admin_says(world, "/retrain", "Retraining")
    report = await world.emu.await_for(lambda _: world.sent_to(ADMIN, "Retrain: candidate")[0], timeout=120)
    assert "PROMOTED" in report["text"], report["text"]
    await world.emu.await_for(
        lambda _: [m for m in world.emu.sent(ADMIN) if m.get("kind") == "photo" or m.get("media")], timeout=10
    )
    new = registry.current_version(models)
    assert new != weak.version
    world.publish(
        "after",
        "Japan sanctions ships that carried North Korean shells to Russia",
        "Tokyo froze assets of firms moving artillery ammunition from Rajin to Vostochny.",
    )
    await world.item_stored("after")
    used = world.query(
        "SELECT scores.model_version FROM scores JOIN items ON items.id = scores.item_id "
        "WHERE items.link = 'https://example.org/news/after'"
    )
    assert used == [{"model_version": new}]
