"""The tieswatch command as a user types it: tables, exit statuses and messages."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from conftest import ROOT
from test_poll import rss


def tieswatch(*args: str, cwd: Path, env: dict | None = None, stdin: str | None = None) -> subprocess.CompletedProcess:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith(("TIESWATCH_", "TELEGRAM_"))}
    full_env["TIESWATCH_ALLOW_PRIVATE"] = "1"  # the feeds are served on loopback
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=cwd,
        env=full_env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )


def feeds_file(tmp_path: Path, entries: list[tuple[str, str]]) -> Path:
    lines = ["feeds:"]
    for name, url in entries:
        lines += [f"  - name: {name}", f"    url: {url}", "    language: en"]
    path = tmp_path / "feeds.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path


def with_model(data: Path, trained_model_dir: Path) -> Path:
    """A data directory that already holds the session's trained model (no training in each test)."""
    shutil.copytree(trained_model_dir / "models", data / "models")
    return data


def test_poll_once_prints_a_table_and_fails_when_a_feed_fails(server, tmp_path, trained_model_dir):
    with_model(tmp_path / "d", trained_model_dir)
    server.expect_request("/ok").respond_with_data(rss(3), content_type="application/rss+xml")
    server.expect_request("/bad").respond_with_data("nope", status=500)
    feeds = feeds_file(tmp_path, [("Good feed", server.url_for("/ok")), ("Bad feed", server.url_for("/bad"))])
    result = tieswatch("poll", "--once", "--feeds", str(feeds), "--data", str(tmp_path / "d"), cwd=tmp_path)
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["feed", "status", "new", "error", "time"]
    good = next(line for line in lines if line.startswith("Good feed"))
    assert good.split()[2:4] == ["200", "3"]
    assert "HTTP 500" in next(line for line in lines if line.startswith("Bad feed"))
    assert "2 feeds, 3 new items, 1 failed; 0 alerts, 0 deliveries queued" in result.stdout
    assert (tmp_path / "d" / "tieswatch.db").exists()


def test_global_options_also_come_from_the_environment(server, tmp_path, trained_model_dir):
    with_model(tmp_path / "envdata", trained_model_dir)
    server.expect_request("/ok").respond_with_data(rss(2), content_type="application/rss+xml")
    feeds = feeds_file(tmp_path, [("Good feed", server.url_for("/ok"))])
    env = {"TIESWATCH_FEEDS": str(feeds), "TIESWATCH_DATA": str(tmp_path / "envdata")}
    assert tieswatch("poll", "--once", cwd=tmp_path, env=env).returncode == 0
    listing = tieswatch("feeds", "list", cwd=tmp_path, env=env)
    assert listing.returncode == 0
    row = next(line for line in listing.stdout.splitlines() if line.startswith("Good feed"))
    assert "ago" in row and server.url_for("/ok") in row


def test_feeds_check_says_what_works(server, tmp_path):
    server.expect_request("/ok").respond_with_data(rss(4), content_type="application/rss+xml")
    server.expect_request("/html").respond_with_data("<html>hi</html>", content_type="text/html")
    feeds = feeds_file(tmp_path, [("Good", server.url_for("/ok")), ("Page", server.url_for("/html"))])
    result = tieswatch("--feeds", str(feeds), "--data", str(tmp_path / "d"), "feeds", "check", cwd=tmp_path)
    assert result.returncode == 1
    good = next(line for line in result.stdout.splitlines() if line.startswith("Good"))
    assert good.split()[1:5] == ["yes", "(200)", "yes", "4"]
    page = next(line for line in result.stdout.splitlines() if line.startswith("Page"))
    assert "not an RSS or Atom document" in page
    assert "1 of 2 feeds reachable and parsing" in result.stdout


def test_a_broken_feeds_file_is_explained_line_by_line(tmp_path):
    bad = tmp_path / "feeds.yaml"
    bad.write_text("feeds:\n  - name: x\n    url: https://example.org/x\n    language: en\n    interval: soon\n")
    result = tieswatch("feeds", "list", "--feeds", str(bad), "--data", str(tmp_path / "d"), cwd=tmp_path)
    assert result.returncode == 1
    assert "feeds.yaml line 5: interval must look like 90s, 10m or 1h" in result.stderr


def test_a_wrong_command_answers_with_its_usage(tmp_path):
    result = tieswatch("feeds", "frobnicate", cwd=tmp_path)
    assert result.returncode == 2 and "usage:" in result.stderr
    result = tieswatch("feeds", cwd=tmp_path)
    assert result.returncode == 2 and "usage: tieswatch feeds" in result.stderr


def test_repository_feed_list_loads_from_the_checkout():
    result = tieswatch("feeds", "list", "--data", "/tmp/tieswatch-test-unused", cwd=ROOT)
    assert result.returncode == 0 and "ANSA Mondo" in result.stdout
