"""Long answers in Telegram: lists of items come in as many messages as Telegram's limit needs, none refused."""

from __future__ import annotations

import pytest
from botworld import start_world, stop_world
from tg_emulator import TEXT_LIMIT

pytestmark = pytest.mark.e2e

SUMMARY = "Seoul's spy agency told lawmakers the soldiers were moved by rail to the front with Russian units."


def long_title(n: int) -> str:
    """A relevant headline of exactly 300 characters."""
    title = f"Report {n:02d}: North Korean troops and artillery shells reach Russia's Kursk front, Seoul says; "
    return (title + "Pyongyang sends more soldiers and missiles to Moscow " * 6)[:300]


@pytest.fixture
async def world(tmp_path, trained_model_dir):
    world, stop, task = await start_world(tmp_path, trained_model_dir)
    yield world
    await stop_world(world, stop, task)


async def flagged(world, n: int) -> None:
    await world.emu.await_for(
        lambda _: world.query("SELECT COUNT(*) AS n FROM scores WHERE relevant = 1")[0]["n"] >= n, timeout=30
    )


async def test_recent_20_with_300_character_titles_comes_in_parts_under_the_limit(world):
    emu = world.emu
    for n in range(20):
        world.publish(f"r{n}", long_title(n), SUMMARY)
    await flagged(world, 20)
    emu.add_user(1801)
    emu.send_text(1801, "/recent 20")
    await emu.await_for(lambda _: all(world.sent_to(1801, f"Report {n:02d}:") for n in range(20)), timeout=15)
    replies = emu.sent(1801)
    assert len(replies) > 1 and all(len(m["text"]) <= TEXT_LIMIT for m in replies)
    assert not [c for c in emu.calls("sendMessage") if c["status"] != 200]  # none refused ("message is too long")
    assert sum(m["text"].count("Report ") for m in replies) == 20  # each item once


def buttons(message: dict) -> dict[str, str]:
    rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
    return {b["text"]: b["callback_data"] for row in rows for b in row}


async def test_search_kursk_pages_through_the_matches_newest_first_in_one_message_a_page(world):
    emu = world.emu
    for n in range(20):
        world.publish(f"s{n}", long_title(n), SUMMARY)
    world.publish("other", "Milan fashion week opens with record attendance", "Designers showed collections.")
    await flagged(world, 20)
    await world.item_stored("other")
    emu.add_user(1802)
    emu.send_text(1802, "/search Kursk")
    page = await emu.await_for(lambda _: world.sent_to(1802, "Search")[-1], timeout=10)
    assert "1–6 of 20, newest first" in page["text"] and len(page["text"]) <= TEXT_LIMIT
    assert [n for n in range(20) if f"Report {n:02d}:" in page["text"]] == [14, 15, 16, 17, 18, 19]
    assert page["text"].index("Report 19:") < page["text"].index("Report 14:")  # newest first
    assert "<b>Kursk</b>" in page["html"]  # the matched word marked

    emu.press_button(1802, page["message_id"], buttons(page)["Older ▶"])
    older = await emu.await_for(
        lambda _: [m for m in emu.sent(1802) if m["message_id"] == page["message_id"] and "7–12" in m["text"]][0],
        timeout=10,
    )
    assert "Report 13:" in older["text"] and "Report 14:" not in older["text"]
    assert set(buttons(older)) == {"◀ Newer", "Older ▶", "Only flagged items"}

    emu.send_text(1802, "/search fashion")
    found = await emu.await_for(lambda _: world.sent_to(1802, "1–1 of 1")[-1], timeout=10)
    emu.press_button(1802, found["message_id"], buttons(found)["Only flagged items"])
    await emu.await_for(lambda _: world.sent_to(1802, "No flagged item matches “fashion”"), timeout=10)

    emu.send_text(1802, "/search")
    await emu.await_for(lambda _: world.sent_to(1802, "Usage: /search words"), timeout=10)
    assert not [c for c in emu.calls() if c["status"] not in (200, None)]
