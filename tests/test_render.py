"""Rendering: feed text is escaped everywhere, and Telegram's HTML parser accepts every message we build."""

from __future__ import annotations

from datetime import UTC, datetime

from tg_emulator import parse_html

from bot.deliver.render import LIMIT, alert_buttons, alert_html, digest_messages, plain
from bot.types import Alert, Item
from classifier.excerpt import Excerpt

NOW = datetime(2025, 3, 3, 9, 30, tzinfo=UTC)


def alert(
    i: int = 1,
    title: str = "Kim & Putin <b>sign</b> a pact",
    excerpt: str = "North Korea & Russia <3",
    link: str | None = 'https://example.org/a?x=1&y="2"',
) -> Alert:
    item = Item(f"id{i}", "https://example.org/feed", "Wire <script>", "en", title, "", "", link, NOW, NOW)
    return Alert(i, item, 0.9, ("North Korea", "troops & <shells>"), Excerpt(excerpt, ((0, 11),)), NOW)


def test_an_alert_escapes_every_piece_of_feed_text_and_parses_as_telegram_html():
    html = alert_html(alert(), "en")
    text, entities = parse_html(html)  # raises like Telegram on anything it would refuse
    assert "Kim & Putin <b>sign</b> a pact" in text  # the feed's markup shows as text, not as formatting
    assert "Wire <script>" in text and "North Korea & Russia <3" in text
    assert 'href="https://example.org/a?x=1&amp;y=&quot;2&quot;"' in html
    kinds = {e["type"] for e in entities}
    assert {"text_link", "bold", "italic"} <= kinds
    assert "<b>North Korea</b>" in html  # the decisive term marked


def test_an_alert_without_a_link_still_has_a_bold_title():
    html = alert_html(alert(link=None), "it")
    parse_html(html)
    assert "<a " not in html and "perché:" in html


def test_buttons_fit_telegrams_callback_limit():
    for _, data in alert_buttons(2**40, "en"):
        assert len(data.encode()) <= 64


def test_digests_are_split_under_the_limit_and_every_alert_is_in_exactly_one_part():
    alerts = [
        alert(i, title=f"Story {i}: " + "troops and shells " * 6, excerpt="Pyongyang & Moscow " * 20)
        for i in range(1, 61)
    ]
    parts = digest_messages(alerts, "en")
    assert len(parts) > 1
    seen = [i for ids, _ in parts for i in ids]
    assert sorted(seen) == list(range(1, 61))
    for _, html in parts:
        text, _ = parse_html(html)
        assert len(text) <= LIMIT and len(html) <= LIMIT
        assert text.startswith("tieswatch digest")


def test_a_huge_item_is_cut_without_breaking_a_tag():
    html = alert_html(alert(title="T" * 5000, excerpt="x " * 3000), "en")
    assert len(html) <= LIMIT
    parse_html(html)
    assert "…" in plain(html)


def test_recent_items_with_long_titles_are_split_under_the_limit_and_a_huge_one_is_cut_cleanly():
    from bot.deliver.render import recent_html
    from bot.types import Recent

    long = [
        Recent(f"{i} Kim & Putin " + "troops & shells " * 20, f"https://example.org/{'x' * 200}?id={i}", "W", NOW, 0.9)
        for i in range(20)
    ]
    huge = [Recent("T" * 5000, "https://example.org/a", "Wire", NOW, 0.9)]
    for items in (long, huge):
        messages = recent_html(items, "en")
        for html in messages:
            text, _ = parse_html(html)
            assert len(html) <= LIMIT and len(text) <= LIMIT
    texts = "".join(parse_html(m)[0] for m in recent_html(long, "en"))
    assert all(f"{i} Kim & Putin" in texts for i in range(20))  # nothing lost between the parts


def test_the_other_reports_of_a_story_are_named_once_each_linked_and_counted_beyond_three():
    from dataclasses import replace

    from bot.deliver.render import also_line

    def report(i: int, source: str) -> Alert:
        a = alert(i, link=f"https://example.org/{i}?a=1&b=2")
        return replace(a, item=replace(a.item, source=source))

    others = [report(2, "ANSA"), report(3, "Meduza & Co"), report(4, "ANSA"), report(5, "Yonhap"), report(6, "PAP")]
    line = also_line(others, "en")
    text, _ = parse_html(line)
    assert text == "also: ANSA, Meduza & Co, Yonhap (+1)"
    assert '<a href="https://example.org/2?a=1&amp;b=2">ANSA</a>' in line
    html = alert_html(alert(), "it", others)
    assert "anche: ANSA" in parse_html(html)[0]
    assert also_line([], "en") == ""
