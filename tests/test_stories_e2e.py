"""One alert per story: the same event on an Italian and an English feed is one alert that names both
sources; a different event with the same actors is an alert of its own; "every report" gets each report."""

from __future__ import annotations

import asyncio

import pytest
from botworld import start_world, stop_world

pytestmark = pytest.mark.e2e

ENGLISH = (
    "Seoul says 3,000 more North Korean soldiers have been sent to Russia's Kursk front",
    "The National Intelligence Service told parliament the new troops arrived in January; about 14,000 are now "
    "deployed alongside Russian units.",
)
ITALIAN = (
    "Seul: altri 3.000 militari nordcoreani mandati al fronte russo di Kursk",
    "Il NIS ha riferito al parlamento che i nuovi soldati sono arrivati a gennaio: ora sono circa 14.000, "
    "schierati con le unità russe.",
)
OTHER_EVENT = (  # the same actors and the same front, another event
    "Zelensky says North Korean units in Kursk have lost 300 dead and 2,700 wounded",
    "Pyongyang's soldiers are sent into assaults alongside Russian troops with little cover, the Ukrainian "
    "president said.",
)


@pytest.fixture
async def world(tmp_path, trained_model_dir):
    world, stop, task = await start_world(tmp_path, trained_model_dir)
    world.feeds.put(
        "/notizie.xml", b'<?xml version="1.0"?><rss version="2.0"><channel><title>N</title></channel></rss>'
    )
    wire = world.config.feeds_path.read_text()
    world.config.feeds_path.write_text(
        wire + f"  - name: Agenzia Loopback\n    url: {world.feeds.url('/notizie.xml')}\n    language: it\n"
        "    interval: 1s\n"
    )
    yield world
    await stop_world(world, stop, task)


def kursk(world, chat: int) -> list[dict]:
    return [m for m in world.emu.sent(chat) if "Kursk" in m["text"]]


async def test_one_event_in_two_languages_is_one_alert_naming_both_sources(world):
    emu = world.emu
    await world.user_starts(2101)
    await world.user_starts(2102)
    emu.send_text(2102, "/settings")
    panel = await emu.await_for(lambda _: world.sent_to(2102, "Stories: one alert per story")[-1], timeout=10)
    emu.press_button(2102, panel["message_id"], "set:story:every")
    await emu.await_for(
        lambda _: world.query("SELECT every_report FROM subscribers WHERE chat_id = 2102")[0]["every_report"] == 1,
        timeout=10,
    )

    world.publish("en1", *ENGLISH)
    first = (await emu.await_for(lambda _: kursk(world, 2101), timeout=15))[0]
    await emu.await_for(lambda _: kursk(world, 2102), timeout=15)

    world.publish("it1", *ITALIAN, feed="/notizie.xml")
    edited = await emu.await_for(
        lambda _: [m for m in kursk(world, 2101) if m["edited"] and "also: Agenzia Loopback" in m["text"]][0],
        timeout=20,
    )
    assert edited["message_id"] == first["message_id"]  # the first alert stays, its sources grow under it
    assert '<a href="https://example.org/news/it1">Agenzia Loopback</a>' in edited["html"]
    assert edited["text"].startswith(ENGLISH[0]) and "✅ Relevant" in str(edited["reply_markup"])
    every = await emu.await_for(lambda _: [m for m in kursk(world, 2102) if "Seul:" in m["text"]][0], timeout=15)
    assert "also: Loopback Wire" in every["text"]  # "every report": the Italian report as its own message

    world.publish("en2", *OTHER_EVENT)
    await emu.await_for(lambda _: [m for m in kursk(world, 2101) if "300 dead" in m["text"]], timeout=15)
    await asyncio.sleep(1.5)  # anything else would come now
    assert len(kursk(world, 2101)) == 2  # two events, two alerts: the Italian report added no message
    stories = world.query(
        "SELECT items.link, alerts.id, alerts.story_id FROM alerts JOIN items ON items.id = alerts.item_id "
        "ORDER BY alerts.id"
    )
    (en1, it1, en2) = stories
    assert it1["story_id"] == en1["id"] and en1["story_id"] is None and en2["story_id"] is None
    emu.send_text(2101, "/status")
    status = await emu.await_for(lambda _: world.sent_to(2101, "Alerts today")[-1], timeout=10)
    assert "Alerts today: 2" in status["text"]
