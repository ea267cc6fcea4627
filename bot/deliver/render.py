"""Render: alerts, digests and every other message the bot sends, as Telegram HTML, with their buttons as
plain data (rows of (label, callback data)). Every piece of feed text is escaped here, once.

Pure: it imports data and the bot's texts, nothing of Telegram, so the edge only turns a ``Keyboard`` into
Telegram's own markup.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence

from bot.texts import t
from bot.types import (
    ITEM_LANGUAGES,
    SENSITIVITIES,
    Alert,
    Recent,
    ReviewItem,
    Status,
    Subscriber,
    Usefulness,
)

LIMIT = 4096  # Telegram's limit on a message's text
Keyboard = list[list[tuple[str, str]]]  # rows of (label, callback data)
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


def also_line(others: Sequence[Alert], lang: str, named: int = 3) -> str:
    """The story's other reports: "also: Yonhap, ANSA, Meduza (+2)", each source once, linked to its article;
    "" when there are none."""
    sources: dict[str, str | None] = {}
    for other in others:
        sources.setdefault(other.item.source, other.item.link)
    if not sources:
        return ""
    names = [
        f'<a href="{esc(link)}">{esc(name)}</a>' if link else esc(name) for name, link in list(sources.items())[:named]
    ]
    more = f" (+{len(sources) - named})" if len(sources) > named else ""
    return f"<i>{esc(t(lang, 'also'))}:</i> {', '.join(names)}{more}"


def alert_html(alert: Alert, lang: str, also: Sequence[Alert] = ()) -> str:
    """One alert: linked title; source, time and language; the story's other reports (``also``); the excerpt
    with decisive terms in bold; why."""
    parts = [_title(alert), _meta(alert)]
    if also:
        parts.append(also_line(also, lang))
    if alert.excerpt.text and alert.excerpt.text != alert.item.title:
        parts.append(alert.excerpt.render(esc))
    if alert.why:
        parts.append(f"<i>{esc(t(lang, 'why'))}: {esc(' · '.join(alert.why))}</i>")
    return _fit("\n".join(parts))


def alert_buttons(alert_id: int, lang: str) -> list[tuple[str, str]]:
    """(label, callback data) of the buttons under an alert; data stays far below Telegram's 64 bytes."""
    return [(t(lang, "btn_relevant"), f"lbl:{alert_id}:1"), (t(lang, "btn_not_relevant"), f"lbl:{alert_id}:0")]


def _digest_entry(alert: Alert, also: Sequence[Alert], lang: str) -> str:
    excerpt = alert.excerpt.text
    if len(excerpt) > 200:
        excerpt = excerpt[:199].rsplit(" ", 1)[0] + "…"
    line = f"• {_title(alert)}\n{_meta(alert)}"
    if also:
        line = f"{line}\n{also_line(also, lang)}"
    return f"{line}\n{esc(excerpt)}" if excerpt and excerpt != alert.item.title else line


def digest_messages(
    alerts: Sequence[Alert], lang: str, also: dict[int, Sequence[Alert]] | None = None
) -> list[tuple[list[int], str]]:
    """Digest messages within Telegram's limit: (the alert ids each message carries, its HTML). ``also``:
    by alert id, the other reports of its story, named under it.

    A crash between two parts re-sends at most the part in flight, because each part knows its alerts.
    """
    also = also or {}
    header = t(lang, "digest_header", n=len(alerts))
    messages: list[tuple[list[int], str]] = []
    ids: list[int] = []
    body = header
    for alert in alerts:
        entry = _fit(_digest_entry(alert, also.get(alert.id, ()), lang), LIMIT - len(header) - 2)
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


def chunk_lines(lines: list[str], limit: int = 4000) -> list[str]:
    """Join lines into messages under Telegram's limit, never splitting a line; a line longer than a whole
    message is cut short without breaking a tag or an entity in it."""
    messages, current = [], ""
    for line in lines:
        line = _fit(line, limit)
        if current and len(current) + 1 + len(line) > limit:
            messages.append(current)
            current = ""
        current = f"{current}\n{line}" if current else line
    return [*messages, current] if current else messages


# ---------------------------------------------------------------- replies to commands


def help_text(lang: str, admin: bool) -> str:
    text = t(lang, "help")
    return text + t(lang, "help_admin") if admin else text


def describe(sub: Subscriber, lang: str) -> dict[str, str]:
    """The subscriber's settings in words, for /status and /settings."""
    if sub.mode == "instant":
        mode = t(lang, "mode_instant")
    elif sub.mode == "hourly":
        mode = t(lang, "mode_hourly")
    else:
        mode = t(lang, "mode_daily", hour=sub.digest_hour)
    quiet = (
        t(lang, "quiet_on", start=sub.quiet_start, end=sub.quiet_end, tz=sub.timezone)
        if sub.quiet_start is not None
        else t(lang, "quiet_off")
    )
    return {
        "sensitivity": t(lang, f"sensitivity_{sub.sensitivity}"),
        "languages": ", ".join(sub.languages) if sub.languages else t(lang, "all_languages"),
        "mode": mode,
        "quiet": quiet,
        "stories": t(lang, "stories_every" if sub.every_report else "stories_one"),
        "ui": sub.ui_language,
    }


def status_html(s: Status, sub: Subscriber | None, lang: str) -> str:
    settings = t(lang, "not_subscribed") if sub is None or not sub.active else "; ".join(describe(sub, lang).values())
    last = s.last_poll.strftime("%Y-%m-%d %H:%M UTC") if s.last_poll else "–"
    return t(
        lang,
        "status",
        feeds=s.feeds,
        failing=s.failing,
        last_poll=last,
        model=esc(s.model),
        threshold=f"{s.threshold:.2f}",
        alerts_today=s.alerts_today,
        settings=esc(settings),
    )


def recent_html(items: list[Recent], lang: str) -> list[str]:
    """/recent: the latest flagged items, in as many messages as the limit needs."""
    if not items:
        return [t(lang, "recent_none")]
    lines = [t(lang, "recent_header", n=len(items))]
    for r in items:
        title = esc(r.title or r.source)
        link = f'<a href="{esc(r.link)}">{title}</a>' if r.link else title
        lines.append(f"• {link}\n  {esc(r.source)} · {r.published:%Y-%m-%d %H:%M} UTC · {r.score:.2f}")
    return chunk_lines(lines)


def feeds_html(rows: list[Usefulness], lang: str) -> list[str]:
    """/feeds: each feed's health and usefulness, in as many messages as the limit needs."""
    lines = [t(lang, "feeds_header")]
    for u in rows:
        state = "⏸ " if u.paused else ("⚠️ " if u.error_streak else "")
        last = f", last relevant {u.last_relevant:%Y-%m-%d}" if u.last_relevant else ""
        lines.append(
            f"{state}<b>{esc(u.feed.name)}</b> ({esc(u.feed.language)}): {u.items_per_day:.1f}/day, "
            f"{u.relevant_share:.0%} flagged, {u.error_streak} errors{last}"
        )
    return chunk_lines(lines)


def review_html(item: ReviewItem, lang: str) -> tuple[str, Keyboard]:
    """/review: one item close to the threshold, with the buttons that label it."""
    title = esc(item.title or item.source)
    if item.link:
        title = f'<a href="{esc(item.link)}">{title}</a>'
    text = t(
        lang,
        "review_item",
        score=f"{item.score:.2f}",
        title=title,
        source=esc(item.source),
        summary=esc(item.summary[:300]),
    )
    buttons = [
        (t(lang, "btn_relevant"), f"rev:{item.rowid}:1"),
        (t(lang, "btn_not_relevant"), f"rev:{item.rowid}:0"),
    ]
    return text, [buttons]


def settings_html(sub: Subscriber) -> tuple[str, Keyboard]:
    """/settings: the settings in words, and a button for each choice (the current ones ticked)."""
    lang = sub.ui_language

    def mark(on: bool, label: str) -> str:
        return f"✓ {label}" if on else label

    def lang_button(code: str) -> tuple[str, str]:
        return mark(code in sub.languages, code), f"set:lang:{code}"

    rows: Keyboard = [
        [(mark(sub.sensitivity == s, t(lang, f"sensitivity_{s}")), f"set:sens:{s}") for s in SENSITIVITIES],
        [
            (mark(sub.mode == "instant", t(lang, "mode_instant")), "set:mode:instant"),
            (mark(sub.mode == "hourly", t(lang, "mode_hourly")), "set:mode:hourly"),
            (mark(sub.mode == "daily", t(lang, "mode_daily", hour=sub.digest_hour)), "set:mode:daily"),
        ],
        [(mark(not sub.languages, t(lang, "all_languages")), "set:lang:all")]
        + [lang_button(code) for code in ITEM_LANGUAGES[:4]],
        [lang_button(code) for code in ITEM_LANGUAGES[4:]],
        [
            (mark(sub.quiet_start is None, t(lang, "quiet_off")), "set:quiet:off"),
            (mark(sub.quiet_start == 22 and sub.quiet_end == 7, "🌙 22–7"), "set:quiet:22-7"),
        ],
        [
            (mark(not sub.every_report, t(lang, "btn_stories_one")), "set:story:one"),
            (mark(sub.every_report, t(lang, "btn_stories_every")), "set:story:every"),
        ],
        [
            (mark(sub.ui_language == "en", "English"), "set:ui:en"),
            (mark(sub.ui_language == "it", "Italiano"), "set:ui:it"),
        ],
    ]
    text = t(lang, "settings", **{k: esc(v) for k, v in describe(sub, lang).items()})
    return text, rows


def settings_usage(lang: str, first: str) -> str:
    """The usage of the text settings, the one that was got wrong first."""
    keys = [first, "settings_tz_usage", "settings_quiet_usage", "settings_hour_usage"]
    return "\n".join(t(lang, k) for k in dict.fromkeys(keys))
