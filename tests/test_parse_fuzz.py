"""Hostile bytes: thousands of mutations of the ../shared/feeds fixtures through the parse stage, and not one
exception other than ParseError; whatever comes out can be stored."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from pathlib import Path

from conftest import shared_path

from bot.errors import ParseError
from bot.ingest.parse import parse_feed
from bot.store import Store
from bot.types import Feed

MUTATIONS = 2000
HEAD = 8192  # bytes of each fixture mutated: the large captures are cut, which keeps the run to seconds
FEED = Feed("Fuzz", "http://example.org/feed.xml", "en")
NOW = datetime(2025, 3, 3, 12, 0, tzinfo=UTC)

# What a hostile or broken server puts in a feed: out-of-range and surrogate character references, NUL,
# encoding declarations that lie, broken IPv6 literals in links, stray element boundaries, bad UTF-8.
SNIPPETS = [
    b"&#1114112;",
    b"&#x110000;",
    b"&#xD800;",
    b"&#99999999999999999999;",
    b"&#0;",
    b"\x00",
    b"\xed\xa0\x80",
    b"\xff\xfe",
    b"\x80\xe5",
    b'<?xml version="1.0" encoding="utf-16"?>',
    b'<?xml version="1.0" encoding="\xe5\x80"?>',
    b'<?xml version="1.0" encoding="no-such-codec"?>',
    b"<link>http://[::1</link>",
    b"<link>http://[0]/</link>",
    b'<link rel="alternate" href="http://[fe80::1%"/>',
    b"<link>",
    b"</link>",
    b"<![CDATA[",
    b"]]>",
    b"<item>",
    b"</item>",
    b"<entry>",
    b"</entry>",
    b"<category>",
    b"<guid>&#xDFFF;</guid>",
    b"<pubDate>Mon, 99 Foo 99999 99:99:99 +9999</pubDate>",
    b"<title>&#1114112;</title>",
]


def mutate(rng: random.Random, doc: bytes) -> bytes:
    b = bytearray(doc)
    for _ in range(rng.randint(1, 4)):
        op, pos = rng.random(), rng.randint(0, len(b))
        if op < 0.45:
            b[pos:pos] = rng.choice(SNIPPETS)
        elif op < 0.6 and b:
            b[min(pos, len(b) - 1)] = rng.randrange(256)
        elif op < 0.8:
            del b[pos : pos + rng.randint(1, 200)]
        else:
            start = rng.randint(0, max(0, len(b) - 1))
            b[pos:pos] = b[start : start + rng.randint(1, 100)]
    return bytes(b)


def test_mutated_fixtures_never_raise_anything_but_parse_error(tmp_path: Path):
    root = shared_path("feeds")
    docs = [p.read_bytes()[:HEAD] for p in sorted(root.rglob("*")) if p.is_file() and p.suffix not in ("", ".md")]
    assert len(docs) > 50
    rng = random.Random(20250303)  # fixed: a failure is reproducible
    store = Store.open(tmp_path / "fuzz.db")
    unhandled, parsed, rejected = [], 0, 0
    try:
        for n in range(MUTATIONS):
            doc = mutate(rng, rng.choice(docs))
            try:
                result = parse_feed(doc, FEED, {"content-type": "application/xml"}, NOW)
                store.add_items(result.items)  # lone surrogates or NUL would fail here
                parsed += 1
            except ParseError:
                rejected += 1
            except Exception as e:  # noqa: BLE001 - collected, so the report shows every kind at once
                unhandled.append(f"mutation {n}: {type(e).__name__}: {e}")
    finally:
        store.close()
    assert not unhandled, f"{len(unhandled)} unhandled:\n" + "\n".join(unhandled[:20])
    assert parsed > MUTATIONS // 2  # most mutations leave a usable feed: recovering, not rejecting, is the norm
    assert parsed + rejected == MUTATIONS


def test_an_out_of_range_character_reference_keeps_the_feed():
    doc = b'<?xml version="1.0"?><rss version="2.0"><channel><item><title>a&#1114112;b</title></item></channel></rss>'
    (item,) = parse_feed(doc, FEED, {"content-type": "application/xml"}, NOW).items
    assert item.title == "a\ufffdb"


def test_a_lone_surrogate_and_nul_never_reach_the_store():
    doc = (
        b'<?xml version="1.0"?><rss version="2.0"><channel><item><title>x&#xD800;y</title>'
        b"<guid>g&#0;1</guid><link>http://[::1</link><description>a\x00b</description></item></channel></rss>"
    )
    (item,) = parse_feed(doc, FEED, {"content-type": "application/xml"}, NOW).items
    assert "\ud800" not in item.title and "\x00" not in item.summary + item.id
    assert item.link is None  # a broken IPv6 literal is no link
