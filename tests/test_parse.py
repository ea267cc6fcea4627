"""Parse and normalise: golden feeds of ours, and every real-world fixture under ../shared/feeds."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from conftest import DATA, shared_path

from bot.errors import ParseError
from bot.ingest.parse import canonical_link, html_to_text, parse_feed
from bot.types import Feed

FEED = Feed("Golden", "http://example.org/feed.xml", "en")
NOW = datetime(2025, 3, 3, 12, 0, tzinfo=UTC)


def parse_file(path: Path, headers: dict | None = None):
    return parse_feed(path.read_bytes(), FEED, headers or {}, NOW)


def test_golden_rss_items_are_normalised():
    items = parse_file(DATA / "golden_rss.xml", {"content-type": "application/rss+xml"}).items
    assert [i.title for i in items] == [
        "Seoul says more North Korean troops reached Kursk",  # RSS titles are HTML: markup stripped
        "Weather: a mild week ahead",
        "No link, only a urn",
    ]
    first, second, third = items
    assert first.summary == "South Korea's spy agency said on Monday that about 3,000 more soldiers arrived."
    assert "alert" not in first.summary
    assert first.id == "http://example.org/feed.xml#golden-1"  # a bare guid is scoped to its feed
    assert first.published == datetime(2025, 3, 3, 8, 30, tzinfo=UTC)  # +0100 converted to UTC
    assert first.language == "en" and first.source == "Golden"
    assert second.summary == "Sunny and warm."
    assert second.text == "Sunny and warm across the region.\nRain returns on Sunday."
    assert second.published == NOW  # no date: the fetch time
    assert second.id == "http://example.org/news/2"
    assert third.link is None  # a urn is an id, not a link
    assert third.id.startswith("urn:uuid:")


def test_atom_relative_links_resolve_against_the_document_url():
    parsed = parse_file(
        DATA / "golden_atom.xml",
        {"content-type": "application/atom+xml", "content-location": "http://example.org/feeds/a.xml"},
    )
    (item,) = parsed.items
    assert item.link == "http://example.org/feeds/relative/entry-1.html"
    assert item.title == "Kim & Putin sign the treaty"
    assert item.summary == "Plain text with a literal <script> tag."  # text/plain is kept as text, escaped later


def test_canonical_link_drops_tracking_parameters():
    assert canonical_link("HTTP://Example.org/a?utm_source=x&id=3&fbclid=abc#top") == "http://example.org/a?id=3"


def test_html_to_text_drops_scripts_and_decodes_entities():
    assert html_to_text("<p>a&amp;b&nbsp;c</p><script>x()</script><style>p{}</style>d") == "a&b c d"


def test_html_page_is_not_a_feed():
    with pytest.raises(ParseError, match="not an RSS or Atom document"):
        parse_feed(
            b"<html><head><title>Hi</title></head><body>x</body></html>", FEED, {"content-type": "text/html"}, NOW
        )


# ------------------------------------------------------------------ ../shared/feeds
# Expected behaviour per ../shared/feeds/README.md: the number of items each should yield, or REJECT.
EXPECTED = {
    "feedparser/encoding/bozo_bogus_encoding.xml": 0,
    "feedparser/encoding/bozo_double-encoded-html.xml": 1,
    "feedparser/encoding/bozo_encoding_mismatch_crash.xml": 1,
    "feedparser/encoding/bozo_invalid-bytes-with-bom.xml": 0,
    "feedparser/encoding/bozo_linenoise.xml": 1,
    "feedparser/encoding/demoronize-1.xml": 1,
    "feedparser/encoding/euc-kr.xml": 0,
    "feedparser/encoding/http_text_xml_charset_2.xml": 1,
    "feedparser/encoding/no_content_type_encoding.xml": 0,
    "feedparser/encoding/utf-16be-autodetect.xml": 0,
    "feedparser/encoding/utf-16le-bom.xml": 0,
    "feedparser/encoding/utf-32be-bom.xml": 0,
    "feedparser/encoding/utf-8-bom.xml": 0,
    "feedparser/illformed/aaa_illformed.xml": "REJECT",
    "feedparser/illformed/always_strip_doctype.xml": 0,
    "feedparser/illformed/chardet/euckr.xml": 1,
    "feedparser/illformed/chardet/koi8r.xml": 1,
    "feedparser/illformed/http_high_bit_date.xml": 0,
    "feedparser/illformed/rdf_channel_empty_textinput.xml": 1,
    "feedparser/illformed/rss_empty_document.xml": "REJECT",
    "feedparser/illformed/rss_incomplete_cdata.xml": 1,
    "feedparser/illformed/rss_item_link_corrupted_ampersands.xml": 1,
    "feedparser/illformed/undeclared_namespace.xml": 0,
    "feedparser/entities/doesnotexist.xml": 0,
    "feedparser/entities/nbsp.xml": 0,
    "feedparser/entities/query_variable_entry.xml": 1,
    "feedparser/wellformed/sanitize/large_atom_feed_that_needs_css_sanitisation.xml": 15,
    "feedparser/wellformed/atom/entry_content_mode_escaped.xml": 1,
    "feedparser/wellformed/atom/entry_published_parsed_date_overwriting.xml": 1,
    "feedparser/wellformed/atom10/entry_link_no_href.xml": 1,
    "feedparser/wellformed/atom10/entry_link_rel_enclosure.xml": 1,
    "feedparser/wellformed/atom10/entry_title_type_empty-no-crash.xml": 1,
    "feedparser/wellformed/atom10/relative_uri_inherit_2.xml": 0,
    "feedparser/wellformed/base/http_item_description_base_docuri.xml": 1,
    "feedparser/wellformed/base/malformed_base.xml": 1,
    "feedparser/wellformed/base/relative_xml_base.xml": 1,
    "feedparser/wellformed/base/unsafe_base.xml": 1,
    "feedparser/wellformed/itunes/itunes_item_duration.xml": 1,
    "feedparser/wellformed/media-rss/media_thumbnail.xml": 1,
    "feedparser/wellformed/namespace/rss2.0withAtomNS.xml": 1,
    "feedparser/wellformed/rdf/doctype_contains_entity_decl.xml": 0,
    "feedparser/wellformed/rdf/rdf_item_rdf_about.xml": 1,
    "feedparser/wellformed/rdf/rss_version_10_not_default_ns.xml": 0,
    "feedparser/wellformed/rss/entity_in_doctype.xml": 1,
    "feedparser/wellformed/rss/item_enclosure_multiple.xml": 1,
    "feedparser/wellformed/rss/item_guid_map_link.xml": 1,
    "feedparser/wellformed/rss/item_guid_not_permalink.xml": 1,
    "feedparser/wellformed/rss/item_pubDate_map_updated_parsed.xml": 1,
    "feedparser/wellformed/rss/rss_version_090.xml": 0,
    "feedparser/wellformed/rss/rss_version_091_netscape.xml": 0,
    "feedparser/wellformed/sanitize/entry_content_script_base64.xml": 1,
    "feedparser/wellformed/sanitize/entry_content_style.xml": 1,
    "feedparser/wellformed/sanitize/feed_title_unacceptable_uri.xml": 0,
    "feedparser/wellformed/sanitize/item_content_encoded_crazy.xml": 1,
    "feedparser/wellformed/sanitize/item_description_onerror.xml": 1,
    "feedparser/wellformed/sanitize/item_description_script.xml": 1,
    "feedparser/wellformed/sanitize/xml_malicious_comment.xml": 0,
    "miniflux/encoding/invalid-prolog.xml": 1,
    "miniflux/encoding/utf8-incorrect-prolog.xml": 1,
    "miniflux/encoding/windows-1252-incorrect-prolog.xml": 0,
    "miniflux/encoding/koi8r.xml": 2,
    "miniflux/parser/encoding_ISO-8859-1.xml": 40,
    "miniflux/parser/encoding_WINDOWS-1251.xml": 50,
    "miniflux/parser/large_atom.xml": 25,
    "miniflux/parser/large_rss.xml": 25,
    "miniflux/parser/no_encoding_ISO-8859-1.xml": 10,
    "miniflux/parser/rdf_UTF8.xml": 60,
    "miniflux/parser/small_atom.xml": 20,
    "miniflux/parser/urdu_UTF8.xml": 26,
    "reader/empty.atom": 1,
    "reader/empty.rss": 1,
    "reader/full.atom": 5,
    "reader/full.rss": 5,
    "reader/relative.atom": 1,
    "reader/relative.rss": 1,
}


def fixture_headers(path: Path) -> dict[str, str]:
    """The ``Header:`` lines a feedparser fixture asks its harness to send."""
    head = path.read_bytes()[:800].decode("latin-1")
    headers = {k.strip().lower(): v.strip() for k, v in re.findall(r"Header:\s*([\w-]+):\s*(.*)", head)}
    headers.setdefault("content-type", "application/xml")
    headers.setdefault("content-location", "http://example.org/feeds/doc.xml")
    return headers


def all_fixtures() -> list[str]:
    root = Path(__file__).resolve().parent.parent.parent / "shared" / "feeds"
    if not root.exists():
        return sorted(EXPECTED)
    return sorted(
        str(p.relative_to(root)) for p in root.rglob("*") if p.is_file() and p.name not in ("LICENSE", "README.md")
    )


@pytest.mark.parametrize("name", all_fixtures())
def test_every_shared_fixture_parses_without_crashing(name: str):
    path = shared_path("feeds", name)
    expected = EXPECTED.get(name)
    start = time.monotonic()
    try:
        parsed = parse_file(path, fixture_headers(path))
    except ParseError as e:
        assert expected == "REJECT", f"{name} was rejected: {e}"
        return
    assert time.monotonic() - start < 5, "parsing must never hang"
    assert expected != "REJECT", f"{name} should have been rejected"
    assert expected is not None, f"{name} is new in ../shared/feeds: say what it should yield"
    assert len(parsed.items) == expected
    for item in parsed.items:
        assert item.id
        assert item.link is None or item.link.startswith(("http://", "https://"))
        assert item.published.tzinfo is not None
        for text in (item.title, item.summary, item.text):
            assert "<script" not in text.lower() or "text/plain" in path.read_text("latin-1")


def test_legacy_encodings_decode_with_chardet():
    koi = parse_file(shared_path("feeds", "feedparser/illformed/chardet/koi8r.xml"))
    assert re.search("[а-яА-Я]{4}", koi.items[0].title), koi.items[0].title
    win = parse_file(shared_path("feeds", "miniflux/parser/encoding_WINDOWS-1251.xml"))
    assert win.items[0].title == "Цитата #17703"


def test_items_without_guid_or_distinct_dates_keep_distinct_ids():
    parsed = parse_file(shared_path("feeds", "miniflux/parser/no_encoding_ISO-8859-1.xml"))
    assert len({i.id for i in parsed.items}) == 10
    assert parsed.warning  # recorded, not dropped


def test_undated_items_get_the_fetch_time():
    parsed = parse_file(shared_path("feeds", "miniflux/parser/rdf_UTF8.xml"))
    assert {i.published for i in parsed.items} == {NOW}


def test_urn_ids_are_not_links():
    (item,) = parse_file(shared_path("feeds", "reader/empty.atom")).items
    assert item.link is None and item.id.startswith("urn:")


def test_relative_links_resolve_with_content_location():
    (item,) = parse_file(
        shared_path("feeds", "reader/relative.rss"),
        {"content-type": "application/rss+xml", "content-location": "http://example.org/blog/feed.xml"},
    ).items
    assert item.link and item.link.startswith("http://example.org/")


def test_active_content_is_gone_from_item_text():
    for name in ("item_description_script.xml", "entry_content_script_base64.xml"):
        (item,) = parse_file(shared_path("feeds", "feedparser/wellformed/sanitize", name)).items
        text = f"{item.summary} {item.text}"
        assert "safe description" in text and "<script" not in text and "location" not in text
    (item,) = parse_file(shared_path("feeds", "feedparser/wellformed/sanitize/item_description_onerror.xml")).items
    assert "onerror" not in item.summary and "alert" not in item.summary


def test_entries_already_known_are_counted_but_not_extracted_again():
    every = parse_file(DATA / "golden_rss.xml", {"content-type": "application/rss+xml"}).items
    parsed = parse_feed(
        (DATA / "golden_rss.xml").read_bytes(), FEED, {"content-type": "application/rss+xml"}, NOW, {every[0].id}
    )
    assert parsed.skipped == 1
    assert [i.id for i in parsed.items] == [i.id for i in every[1:]]
