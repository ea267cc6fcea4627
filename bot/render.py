"""Render alerts and digests as Telegram HTML. Every piece of feed text is escaped here, once."""

from __future__ import annotations

import html
import re
from collections.abc import Sequence

from bot.decide import Alert
from bot.texts import t

LIMIT = 4096  # Telegram's limit on a message's text
_TAG = re.compile(r"<[^>]+>")


def esc(text: str) -> str:
    return html.escape(text, quote=True)


def _title(alert: Alert) -> str:
    title = esc(alert.item.title or alert.excerpt.text[:80] or alert.item.source)
    if alert.item.link:
        return f'<a href="{esc(alert.item.link)}"><b>{title}</b></a>'
    return f"<b>{title}</b>"


def _meta(alert: Alert) -> str:
    when = alert.item.published.strftime("%Y-%m-%d %H:%M UTC")
    return f"{esc(alert.item.source)} · {when} · {esc(alert.item.language.upper())}"


def alert_html(alert: Alert, lang: str) -> str:
    """One alert: linked title; source, time and language; the excerpt with decisive terms in bold; why."""
    parts = [_title(alert), _meta(alert)]
    if alert.excerpt.text and alert.excerpt.text != alert.item.title:
        parts.append(alert.excerpt.render(esc))
    if alert.why:
        parts.append(f"<i>{esc(t(lang, 'why'))}: {esc(', '.join(alert.why))}</i>")
    return _fit("\n".join(parts))


def alert_buttons(alert_id: int, lang: str) -> list[tuple[str, str]]:
    """(label, callback data) of the buttons under an alert; data stays far below Telegram's 64 bytes."""
    return [(t(lang, "btn_relevant"), f"lbl:{alert_id}:1"), (t(lang, "btn_not_relevant"), f"lbl:{alert_id}:0")]


def _digest_entry(alert: Alert) -> str:
    excerpt = alert.excerpt.text
    if len(excerpt) > 200:
        excerpt = excerpt[:199].rsplit(" ", 1)[0] + "…"
    line = f"• {_title(alert)}\n{_meta(alert)}"
    return f"{line}\n{esc(excerpt)}" if excerpt and excerpt != alert.item.title else line


def digest_messages(alerts: Sequence[Alert], lang: str) -> list[tuple[list[int], str]]:
    """Digest messages within Telegram's limit: (the alert ids each message carries, its HTML).

    A crash between two parts re-sends at most the part in flight, because each part knows its alerts.
    """
    header = t(lang, "digest_header", n=len(alerts))
    messages: list[tuple[list[int], str]] = []
    ids: list[int] = []
    body = header
    for alert in alerts:
        entry = _fit(_digest_entry(alert), LIMIT - len(header) - 2)
        if ids and len(body) + 2 + len(entry) > LIMIT:
            messages.append((ids, body))
            ids, body = [], header
        ids.append(alert.id)
        body = f"{body}\n\n{entry}"
    if ids:
        messages.append((ids, body))
    return messages


def plain(html_text: str) -> str:
    """What a reader sees of the HTML: tags dropped, entities decoded (for the console and length checks)."""
    return html.unescape(_TAG.sub("", html_text))


def _fit(text: str, limit: int = LIMIT) -> str:
    """Keep a message within the limit without cutting through a tag or an entity."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 16]  # room for "…" and the closing tags of <a><b><i>
    last_open, last_close = cut.rfind("<"), cut.rfind(">")
    if last_open > last_close:
        cut = cut[:last_open]
    amp = cut.rfind("&")
    if amp > cut.rfind(";"):
        cut = cut[:amp]
    # Close any tags left open by the cut.
    opened = re.findall(r"<(b|i|a)(?:\s[^>]*)?>", cut)
    closed = re.findall(r"</(b|i|a)>", cut)
    for tag in closed:
        if tag in opened:
            opened.remove(tag)
    return cut + "…" + "".join(f"</{tag}>" for tag in reversed(opened))
