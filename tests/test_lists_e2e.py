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
