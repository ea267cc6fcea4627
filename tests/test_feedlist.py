"""Tuning the feed list from the CLI: add (validated, discovered from a page), remove, import and export
OPML, resume; feeds.yaml keeps its comments; a failing feed is paused and the admins told once."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from test_cli import tieswatch
from test_poll import rss

from bot.app.demo import FeedServer
from bot.config import ALL_NETWORKS, Config
from bot.ingest.feeds_yaml import load_feeds
from bot.ingest.opml import read_opml
from bot.learn.score import Classifier
from bot.pipeline import Pipeline
from bot.store import Store

FEEDS = "# my feeds, keep this comment\nfeeds:\n  # Italian first\n  - name: Old\n    url: {url}\n    language: it\n"


@pytest.fixture
def server():
    with FeedServer() as srv:
        srv.put("/a.xml", rss(3, "a"))
        srv.put("/b.xml", rss(2, "b"))
        srv.content_type = "application/rss+xml"
        yield srv


def test_feeds_add_validates_discovers_and_refuses_duplicates(server, tmp_path):
    feeds = tmp_path / "feeds.yaml"
    feeds.write_text(FEEDS.format(url=server.url("/a.xml")))
    common = ("--feeds", str(feeds), "--data", str(tmp_path / "d"))
    ok = tieswatch(
        "feeds", "add", server.url("/b.xml"), "--name", "Bee", "--lang", "en", "--interval", "5m", *common, cwd=tmp_path
    )
    assert ok.returncode == 0, ok.stderr
    assert "holds 2 items" in ok.stdout
    assert [(f.name, f.interval) for f in load_feeds(feeds)] == [("Old", 600), ("Bee", 300)]
    assert "# my feeds, keep this comment" in feeds.read_text() and "# Italian first" in feeds.read_text()

    dup = tieswatch("feeds", "add", server.url("/b.xml"), "--lang", "en", *common, cwd=tmp_path)
    assert dup.returncode == 1 and "already in feeds.yaml" in dup.stderr

    server.put(
        "/page.html",
        b'<html><head><link rel="alternate" type="application/rss+xml" href="/c.xml"></head><body>News</body></html>',
    )
    server.put("/c.xml", rss(4, "c"))
    found = tieswatch("feeds", "add", server.url("/page.html"), "--lang", "de", *common, cwd=tmp_path)
    assert found.returncode == 0, found.stderr
    assert load_feeds(feeds)[-1].url == server.url("/c.xml")

    server.put("/plain.html", b"<html><body>No feed here</body></html>")
    bad = tieswatch("feeds", "add", server.url("/plain.html"), "--lang", "en", *common, cwd=tmp_path)
    assert bad.returncode == 1 and "neither a feed nor a page that announces one" in bad.stderr

    gone = tieswatch("feeds", "remove", "Bee", *common, cwd=tmp_path)
    assert gone.returncode == 0 and [f.name for f in load_feeds(feeds)] == ["Old", "T"]
    assert "# Italian first" in feeds.read_text()


def test_opml_import_reports_bad_outlines_and_export_round_trips(server, tmp_path):
    feeds = tmp_path / "feeds.yaml"
    feeds.write_text(FEEDS.format(url=server.url("/a.xml")))
    opml = tmp_path / "subs.opml"
    opml.write_text(f"""<?xml version="1.0"?>
<opml version="2.0"><head><title>x</title></head><body>
  <outline text="Bee" type="rss" xmlUrl="{server.url("/b.xml")}" language="en"/>
  <outline text="Broken" type="rss" xmlUrl="ftp://example.org/feed"/>
  <outline text="Again" type="rss" xmlUrl="{server.url("/a.xml")}" language="it"/>
</body></opml>
""")
    common = ("--feeds", str(feeds), "--data", str(tmp_path / "d"))
    result = tieswatch("feeds", "import", str(opml), *common, cwd=tmp_path)
    assert result.returncode == 1
    assert "subs.opml line 4: url must start with http:// or https://" in result.stderr
    assert "subs.opml line 5: " in result.stderr and "already in feeds.yaml" in result.stderr
    assert [f.name for f in load_feeds(feeds)] == ["Old", "Bee"]
    exported = tieswatch("feeds", "export", *common, cwd=tmp_path)
    out = tmp_path / "out.opml"
    out.write_text(exported.stdout)
    again, problems = read_opml(out)
    assert problems == [] and [(f.name, f.url, f.language) for f in again] == [
        (f.name, f.url, f.language) for f in load_feeds(feeds)
    ]


def test_a_failing_feed_is_paused_once_and_resumed(tmp_path, trained_model_dir):
    import shutil

    with FeedServer() as srv:
        srv.put("/ok.xml", rss(1, "ok"))
        feeds = tmp_path / "feeds.yaml"
        feeds.write_text(
            f"feeds:\n  - name: Good\n    url: {srv.url('/ok.xml')}\n    language: en\n"
            f"  - name: Dead\n    url: {srv.url('/missing.xml')}\n    language: en\n"
        )
        data = tmp_path / "data"
        shutil.copytree(trained_model_dir / "models", data / "models")
        config = Config(feeds_path=feeds, data_dir=data, pause_after=2, allowed_networks=ALL_NETWORKS)
        store = Store.open(config.db_path)
        clock = [datetime.now(UTC)]
        pipeline = Pipeline(config, store, Classifier(config.models_dir), sink=None, now=lambda: clock[0])

        def poll():
            clock[0] += timedelta(days=1)  # always past any backoff
            return asyncio.run(pipeline.poll())

        assert poll().notices == []
        notices = poll().notices
        assert len(notices) == 1 and "Feed paused: Dead" in notices[0] and "/resume" in notices[0]
        asked = len([r for r in srv.requests if r[0] == "/missing.xml"])
        assert poll().notices == []  # told once
        assert len([r for r in srv.requests if r[0] == "/missing.xml"]) == asked  # not polled while paused
        listing = tieswatch("feeds", "list", "--feeds", str(feeds), "--data", str(data), cwd=tmp_path)
        assert "paused" in next(line for line in listing.stdout.splitlines() if line.startswith("Dead"))
        resumed = tieswatch("feeds", "resume", "Dead", "--feeds", str(feeds), "--data", str(data), cwd=tmp_path)
        assert resumed.returncode == 0
        poll()
        assert len([r for r in srv.requests if r[0] == "/missing.xml"]) == asked + 1
        store.close()


def test_a_feed_failing_again_and_again_is_logged_once_per_change_with_a_summary_each_round(
    tmp_path, trained_model_dir, caplog
):
    import logging
    import shutil

    with FeedServer() as srv:
        feeds = tmp_path / "feeds.yaml"
        feeds.write_text(f"feeds:\n  - name: Flaky\n    url: {srv.url('/f.xml')}\n    language: en\n")
        data = tmp_path / "data"
        shutil.copytree(trained_model_dir / "models", data / "models")
        config = Config(feeds_path=feeds, data_dir=data, pause_after=100, allowed_networks=ALL_NETWORKS)
        store = Store.open(config.db_path)
        clock = [datetime.now(UTC)]
        pipeline = Pipeline(config, store, Classifier(config.models_dir), sink=None, now=lambda: clock[0])

        def poll():
            clock[0] += timedelta(days=1)
            return asyncio.run(pipeline.poll())

        with caplog.at_level(logging.INFO, logger="bot"):
            reports = [poll() for _ in range(3)]
            srv.put("/f.xml", rss(1, "back"))
            reports.append(poll())
            feeds.write_text("feeds: [broken\n")
            for _ in range(3):
                pipeline.feeds()
        store.close()
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len([w for w in warnings if w.startswith("feed Flaky:")]) == 1  # three failures, one line
    assert any("feed Flaky works again" in r.getMessage() for r in caplog.records)
    assert [r.summary().split(",")[1].strip() for r in reports] == ["1 failed"] * 3 + ["0 failed"]
    assert "poll: 1 feeds, 0 failed, 1 new items" in reports[-1].summary()
    errors = [r for r in caplog.records if r.levelno == logging.ERROR and "cannot be used" in r.getMessage()]
    assert len(errors) == 1  # a broken feeds.yaml is said once, not at every poll
