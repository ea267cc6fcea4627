"""Fetch | parse | store against a real HTTP server on loopback: every failure stays with its own feed."""

from __future__ import annotations

import asyncio
import gzip
import socket
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from werkzeug import Request, Response

from bot.config import ALL_NETWORKS, Config
from bot.ingest.poll import next_attempt, poll_feeds
from bot.store import Store
from bot.types import Feed


def rss(n: int, prefix: str = "item") -> bytes:
    items = "".join(
        f"<item><title>{prefix} {i}</title><link>http://example.org/{prefix}/{i}</link>"
        f"<guid>http://example.org/{prefix}/{i}</guid><description>Body {i}</description>"
        f"<pubDate>Mon, 03 Mar 2025 09:{i % 60:02d}:00 GMT</pubDate></item>"
        for i in range(n)
    )
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>{items}</channel></rss>'.encode()


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return Config(
        feeds_path=tmp_path / "feeds.yaml",
        data_dir=tmp_path / "data",
        timeout=0.6,
        max_bytes=200_000,
        concurrency=4,
        max_redirects=3,
        allowed_networks=ALL_NETWORKS,  # the feeds are served on loopback
    )


@pytest.fixture
def store(config: Config):
    s = Store.open(config.db_path)
    yield s
    s.close()


def conditional(body: bytes, etag: str = '"v1"', last_modified: str = "Mon, 03 Mar 2025 10:00:00 GMT"):
    """A handler that answers 304 when the client sends back what it was given."""
    seen: list[dict] = []

    def handler(request: Request) -> Response:
        seen.append(dict(request.headers))
        if request.headers.get("If-None-Match") == etag:
            return Response(status=304, headers={"ETag": etag})
        return Response(
            body, content_type="application/rss+xml", headers={"ETag": etag, "Last-Modified": last_modified}
        )

    return handler, seen


def run(coro):
    return asyncio.run(coro)


def test_second_poll_gets_304_and_stores_nothing_new(server, config, store):
    handler, seen = conditional(rss(5))
    server.expect_request("/feed").respond_with_handler(handler)
    feed = Feed("F", server.url_for("/feed"), "en")
    first = run(poll_feeds([feed], store, config))[0]
    assert (first.status, first.new, first.error) == (200, 5, None)
    second = run(poll_feeds([feed], store, config))[0]
    assert (second.status, second.new) == (304, 0)
    assert seen[1]["If-None-Match"] == '"v1"'
    assert seen[1]["If-Modified-Since"] == "Mon, 03 Mar 2025 10:00:00 GMT"
    assert "tieswatch" in seen[0]["User-Agent"]
    assert store.count_items() == 5


def test_a_feed_that_ignores_validators_adds_no_duplicates(server, config, store):
    server.expect_request("/feed").respond_with_data(rss(7), content_type="application/rss+xml")
    feed = Feed("F", server.url_for("/feed"), "en")
    run(poll_feeds([feed], store, config))
    again = run(poll_feeds([feed], store, config))[0]
    assert again.status == 200 and again.new == 0 and again.seen == 7
    assert store.count_items() == 7


def test_gzip_bodies_are_decoded(server, config, store):
    server.expect_request("/gz").respond_with_data(
        gzip.compress(rss(3)), headers={"Content-Encoding": "gzip"}, content_type="application/rss+xml"
    )
    (result,) = run(poll_feeds([Feed("G", server.url_for("/gz"), "en")], store, config))
    assert result.new == 3


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_each_broken_feed_is_its_own_error_and_the_good_ones_still_arrive(server, config, store):
    server.expect_request("/good").respond_with_data(rss(4, "good"), content_type="application/rss+xml")
    server.expect_request("/good2").respond_with_data(rss(2, "other"), content_type="application/rss+xml")
    server.expect_request("/500").respond_with_data("boom", status=500)

    def slow(request: Request) -> Response:
        time.sleep(2.5)
        return Response(rss(1), content_type="application/rss+xml")

    server.expect_request("/slow").respond_with_handler(slow)
    server.expect_request("/html").respond_with_data("<html><body>Not a feed</body></html>", content_type="text/html")
    server.expect_request("/big").respond_with_data(
        b"<rss>" + b" " * 300_000 + b"</rss>", content_type="application/rss+xml"
    )
    server.expect_request("/loop").respond_with_response(
        Response(status=302, headers={"Location": server.url_for("/loop")})
    )
    refused = f"http://127.0.0.1:{free_port()}/feed"
    feeds = [
        Feed("good", server.url_for("/good"), "en"),
        Feed("server error", server.url_for("/500"), "en"),
        Feed("timeout", server.url_for("/slow"), "en"),
        Feed("refused", refused, "en"),
        Feed("not xml", server.url_for("/html"), "en"),
        Feed("oversized", server.url_for("/big"), "en"),
        Feed("redirect loop", server.url_for("/loop"), "en"),
        Feed("good too", server.url_for("/good2"), "en"),
    ]
    results = {r.feed.name: r for r in run(poll_feeds(feeds, store, config))}
    assert results["good"].new == 4 and results["good"].ok
    assert results["good too"].new == 2 and results["good too"].ok
    assert results["server error"].status == 500 and "HTTP 500" in results["server error"].error
    assert "timed out" in results["timeout"].error or "no complete answer" in results["timeout"].error
    assert "cannot connect" in results["refused"].error
    assert "not an RSS or Atom document" in results["not xml"].error
    assert "limit" in results["oversized"].error
    assert "redirect" in results["redirect loop"].error
    rows = {r["name"]: r for r in store.feed_rows()}
    assert rows["server error"]["error_streak"] == 1 and rows["server error"]["last_error"]
    assert rows["good"]["error_streak"] == 0 and rows["good"]["last_success"]
    logged = list(store.db["fetch_log"].rows)
    assert len(logged) == len(feeds)
    assert store.count_items() == 6


def test_failures_back_off_exponentially_and_reset_on_success(server, config, store):
    calls = {"n": 0}

    def flaky(request: Request) -> Response:
        calls["n"] += 1
        if calls["n"] <= 2:
            return Response("down", status=503)
        return Response(rss(1), content_type="application/rss+xml")

    server.expect_request("/flaky").respond_with_handler(flaky)
    feed = Feed("flaky", server.url_for("/flaky"), "en", interval=60)
    t0 = datetime(2025, 1, 1, tzinfo=UTC)
    run(poll_feeds([feed], store, config, now=lambda: t0))
    first_wait = store.feed_state(feed.url).next_attempt - t0
    assert first_wait == timedelta(seconds=60)  # the first retry after one interval, not two
    # not yet due: skipped, and the server is not asked
    assert run(poll_feeds([feed], store, config, now=lambda: t0 + timedelta(seconds=10), only_due=True)) == []
    t1 = t0 + first_wait
    run(poll_feeds([feed], store, config, now=lambda: t1, only_due=True))
    second_wait = store.feed_state(feed.url).next_attempt - t1
    assert second_wait == 2 * first_wait
    t2 = t1 + second_wait
    (ok,) = run(poll_feeds([feed], store, config, now=lambda: t2, only_due=True))
    assert ok.ok and store.feed_state(feed.url).error_streak == 0
    assert store.feed_state(feed.url).next_attempt - t2 == timedelta(seconds=60)


def test_backoff_is_capped():
    feed = Feed("f", "http://example.org/f", "en", interval=600)
    now = datetime(2025, 1, 1, tzinfo=UTC)
    assert next_attempt(feed, 30, now, cap=3600) - now == timedelta(hours=1)
    assert next_attempt(feed, 0, now, cap=3600) - now == timedelta(minutes=10)
    assert [next_attempt(feed, n, now, cap=3600) - now for n in (1, 2, 3)] == [
        timedelta(minutes=10),
        timedelta(minutes=20),
        timedelta(minutes=40),
    ]


def test_first_poll_is_marked(server, config, store):
    server.expect_request("/f").respond_with_data(rss(2), content_type="application/rss+xml")
    feed = Feed("F", server.url_for("/f"), "en")
    assert run(poll_feeds([feed], store, config))[0].first_poll is True
    assert run(poll_feeds([feed], store, config))[0].first_poll is False


def test_a_bug_while_parsing_one_feed_is_that_feeds_error_logged_once_with_its_traceback(
    server, config, store, monkeypatch, caplog
):
    import bot.ingest.poll as poll

    server.expect_request("/good").respond_with_data(rss(3, "good"), content_type="application/rss+xml")
    server.expect_request("/bad").respond_with_data(rss(2, "bad"), content_type="application/rss+xml")
    real = poll.parse_feed

    def buggy(body, feed, headers, now):  # stands for a bug of ours that only this feed's content triggers
        if feed.name == "bad":
            raise KeyError("links")
        return real(body, feed, headers, now)

    monkeypatch.setattr(poll, "parse_feed", buggy)
    feeds = [Feed("bad", server.url_for("/bad"), "en"), Feed("good", server.url_for("/good"), "en")]
    for _ in range(2):
        results = {r.feed.name: r for r in run(poll_feeds(feeds, store, config))}
    assert results["good"].ok and store.count_items() == 3
    assert results["bad"].error == "internal error: KeyError: 'links'"
    state = store.feed_state(feeds[0].url)
    assert state.error_streak == 2 and state.last_error == results["bad"].error  # counted and backed off
    tracebacks = [r for r in caplog.records if r.exc_info]
    assert len(tracebacks) == 1 and "Traceback" not in tracebacks[0].getMessage()


def test_an_absurd_interval_waits_at_most_a_year_instead_of_overflowing():
    now = datetime(2025, 1, 1, tzinfo=UTC)
    feed = Feed("f", "http://example.org/f", "en", interval=100_000_000 * 86400)
    assert next_attempt(feed, 0, now, cap=3600) - now == timedelta(days=366)
    assert next_attempt(feed, 5, now, cap=3600) - now == timedelta(days=366)


def test_a_feed_with_an_out_of_range_character_reference_no_longer_stops_the_poll(server, config, store):
    bad = b'<?xml version="1.0"?><rss version="2.0"><channel><item><title>&#1114112;</title></item></channel></rss>'
    server.expect_request("/bad").respond_with_data(bad, content_type="application/rss+xml")
    server.expect_request("/good").respond_with_data(rss(2), content_type="application/rss+xml")
    feeds = [Feed("bad", server.url_for("/bad"), "en"), Feed("good", server.url_for("/good"), "en")]
    results = run(poll_feeds(feeds, store, config))
    assert [r.new for r in results] == [1, 2] and all(r.ok for r in results)


def test_a_layered_gzip_body_is_refused_before_it_is_expanded(server, config, store):
    bomb = gzip.compress(gzip.compress(b" " * 50_000_000))  # a few KB on the wire, 50 MB decoded
    server.expect_request("/bomb").respond_with_data(
        bomb, headers={"Content-Encoding": "gzip, gzip"}, content_type="application/rss+xml"
    )
    (result,) = run(poll_feeds([Feed("bomb", server.url_for("/bomb"), "en")], store, config))
    assert result.error == "nested content encodings (gzip, gzip) are refused"


def test_a_gzip_body_that_expands_past_the_limit_is_cut_off_while_decoding(server, config, store):
    bomb = gzip.compress(b"<rss>" + b" " * 50_000_000)  # ~50 KB on the wire, under the 200 KB limit
    assert len(bomb) < config.max_bytes
    server.expect_request("/bomb").respond_with_data(
        bomb, headers={"Content-Encoding": "gzip"}, content_type="application/rss+xml"
    )
    (result,) = run(poll_feeds([Feed("bomb", server.url_for("/bomb"), "en")], store, config))
    assert result.error == "body decoded from gzip is over the 200,000-byte limit; cut off"


def test_deflate_bodies_are_decoded_with_or_without_zlib_framing(server, config, store):
    import zlib

    raw = zlib.compressobj(wbits=-15)
    framed = zlib.compress(rss(2, "framed"))
    unframed = raw.compress(rss(3, "raw")) + raw.flush()
    for path, body in (("/z", framed), ("/raw", unframed)):
        server.expect_request(path).respond_with_data(
            body, headers={"Content-Encoding": "deflate"}, content_type="application/rss+xml"
        )
    feeds = [Feed("z", server.url_for("/z"), "en"), Feed("raw", server.url_for("/raw"), "en")]
    assert [r.new for r in run(poll_feeds(feeds, store, config))] == [2, 3]


def test_an_encoding_we_did_not_ask_for_is_refused(server, config, store):
    server.expect_request("/br").respond_with_data(
        b"\x8b\x02\x80", headers={"Content-Encoding": "br"}, content_type="application/rss+xml"
    )
    (result,) = run(poll_feeds([Feed("br", server.url_for("/br"), "en")], store, config))
    assert "content encoding 'br' is not supported" in result.error


def test_a_slow_feed_delays_only_itself(server, config, store):
    import threading

    release = threading.Event()

    def slow(request: Request) -> Response:
        release.wait(10)
        return Response(rss(1, "slow"), content_type="application/rss+xml")

    server.expect_request("/slow").respond_with_handler(slow)
    server.expect_request("/fast").respond_with_data(rss(3, "fast"), content_type="application/rss+xml")
    feeds = [Feed("slow", server.url_for("/slow"), "en"), Feed("fast", server.url_for("/fast"), "en")]

    async def scenario():
        polling = asyncio.create_task(poll_feeds(feeds, store, config))
        for _ in range(200):  # the fast feed's items are committed while the slow one is still answering
            if store.count_items() == 3:
                break
            await asyncio.sleep(0.02)
        stored_meanwhile = store.count_items()
        release.set()
        return stored_meanwhile, await polling

    stored_meanwhile, results = run(scenario())
    assert stored_meanwhile == 3
    assert [r.new for r in results] == [1, 3]  # and the results still come in the feeds' order


def test_feeds_yaml_is_read_again_only_when_it_changed(tmp_path):
    import os

    from bot.learn.score import Classifier
    from bot.pipeline import Pipeline

    feeds_yaml = tmp_path / "feeds.yaml"
    feeds_yaml.write_text("feeds:\n  - name: A\n    url: http://example.org/a.xml\n    language: en\n")
    config = Config(feeds_path=feeds_yaml, data_dir=tmp_path)
    store = Store.open(tmp_path / "db.sqlite")
    pipeline = Pipeline(config, store, Classifier(config.models_dir), sink=None)
    first = pipeline.feeds()
    assert pipeline.feeds() is first  # unchanged: not parsed again
    feeds_yaml.write_text(feeds_yaml.read_text() + "  - name: B\n    url: http://example.org/b.xml\n    language: it\n")
    os.utime(feeds_yaml, ns=(time.time_ns(), time.time_ns() + 1_000_000))
    assert [f.name for f in pipeline.feeds()] == ["A", "B"]
    store.close()
