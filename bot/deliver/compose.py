"""Compose: the outbox's due rows become the messages to send, chat by chat.

An instant alert is a message of its own, with the other reports of its story named under it ("also: ANSA,
Meduza"). A later report of a story the chat already has a message of edits that message instead of sending
another: no new notification, one message per story, its sources growing in place. A digest lists each story
once, its reports together, in as many parts as Telegram's limit needs. Pure but for the store's answers.
"""

from __future__ import annotations

import collections
from collections.abc import Sequence
from typing import TYPE_CHECKING

from bot.deliver import render
from bot.types import Alert, Delivery

if TYPE_CHECKING:  # the outbox hands a store in; nothing here opens one
    from bot.store import Store

Queues = dict[int, collections.deque[Delivery]]


def _others(story: Sequence[Alert], shown: Alert) -> list[Alert]:
    return [a for a in story if a.id != shown.id]


def plan_messages(store: Store, rows: list[dict]) -> tuple[Queues, list[int]]:
    """Due outbox rows -> per chat, the messages to send; and the rows already settled, because the message
    they would update is itself still to be sent (and will name them when it is)."""
    alerts = store.alerts_by_id(r["alert_id"] for r in rows)
    rows = [r for r in rows if r["alert_id"] in alerts]
    stories = store.story_alerts(alerts[r["alert_id"]].story for r in rows)
    queues: Queues = collections.defaultdict(collections.deque)
    digests: dict[int, list[dict]] = collections.defaultdict(list)
    edits: dict[tuple[int, int], tuple[int, str, list[int]]] = {}  # (chat, message) -> (alert shown, lang, rows)
    settled: list[int] = []
    for row in rows:
        alert, chat_id, lang = alerts[row["alert_id"]], row["chat_id"], row.get("ui_language") or "en"
        if row["digest"]:
            digests[chat_id].append(row)
            continue
        if row.get("kind") == "also":
            mine = store.story_message(chat_id, alert.story)
            if mine is not None and mine["status"] == "pending":
                settled.append(row["id"])
                continue
            if mine is not None and mine["message_id"] is not None:
                edits.setdefault((chat_id, mine["message_id"]), (mine["alert_id"], lang, []))[2].append(row["id"])
                continue
            # The chat's message of the story is gone (dropped): this report is a message of its own.
        html = render.alert_html(alert, lang, _others(stories[alert.story], alert))
        queues[chat_id].append(Delivery((row["id"],), chat_id, html, render.alert_buttons(alert.id, lang)))
    for (chat_id, message_id), (alert_id, lang, ids) in edits.items():
        shown = alerts.get(alert_id) or store.alerts_by_id([alert_id])[alert_id]
        html = render.alert_html(shown, lang, _others(stories[shown.story], shown))
        queues[chat_id].append(Delivery(tuple(ids), chat_id, html, render.alert_buttons(shown.id, lang), message_id))
    for chat_id, chat_rows in digests.items():
        lang = chat_rows[0].get("ui_language") or "en"
        by_story: dict[int, list[dict]] = {}
        for r in sorted(chat_rows, key=lambda r: (alerts[r["alert_id"]].item.published, r["id"])):
            by_story.setdefault(alerts[r["alert_id"]].story, []).append(r)
        entries = [alerts[story_rows[0]["alert_id"]] for story_rows in by_story.values()]
        rows_of = {e.id: tuple(r["id"] for r in by_story[e.story]) for e in entries}
        also = {e.id: _others(stories[e.story], e) for e in entries}
        for entry_ids, html in render.digest_messages(entries, lang, also):
            queues[chat_id].append(Delivery(tuple(i for e in entry_ids for i in rows_of[e]), chat_id, html, None))
    return queues, settled
