"""The tieswatch command as a user types it: tables, exit statuses and messages."""

from __future__ import annotations

import json
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
    assert "ago" in row and row.split()[-2:] == ["in", "9m"]  # polled now, next try after its 10m interval
    wide = tieswatch("feeds", "list", "--wide", cwd=tmp_path, env=env)
    assert server.url_for("/ok") in next(line for line in wide.stdout.splitlines() if line.startswith("Good feed"))


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


def test_repository_feed_list_loads_from_the_checkout_and_fits_100_columns(tmp_path):
    result = tieswatch("feeds", "list", "--data", str(tmp_path / "d"), cwd=ROOT)
    assert result.returncode == 0 and "ANSA Mondo" in result.stdout
    assert max(len(line) for line in result.stdout.splitlines()) <= 100
    as_json = json.loads(tieswatch("feeds", "list", "--json", "--data", str(tmp_path / "d"), cwd=ROOT).stdout)
    assert as_json[0]["name"] == "ANSA Mondo" and as_json[0]["url"].startswith("https://")
    assert {"state", "next_attempt", "error_streak", "items_per_day"} <= set(as_json[0])


def test_every_option_and_argument_says_what_it_is_for():
    import argparse

    from bot.app.cli import build_parser

    def walk(parser: argparse.ArgumentParser, path: str):
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, sub in action.choices.items():
                    yield from walk(sub, f"{path} {name}")
            elif not isinstance(action, argparse._HelpAction):
                yield path, action

    silent = [
        f"{path} {'/'.join(a.option_strings) or a.dest}" for path, a in walk(build_parser(), "tieswatch") if not a.help
    ]
    assert silent == []
    version = tieswatch("--version", cwd=ROOT)
    assert version.returncode == 0 and version.stdout.startswith("tieswatch ")


def test_progress_shows_on_a_terminal_and_never_in_a_pipe(server, tmp_path, trained_model_dir):
    import pty

    with_model(tmp_path / "d", trained_model_dir)
    server.expect_request("/ok").respond_with_data(rss(2), content_type="application/rss+xml")
    feeds = feeds_file(tmp_path, [("Good feed", server.url_for("/ok"))])
    args = [sys.executable, "-m", "bot", "poll", "--once", "--feeds", str(feeds), "--data", str(tmp_path / "d")]
    env = {**os.environ, "TIESWATCH_ALLOW_PRIVATE": "1"}  # the feed is served on loopback
    piped = subprocess.run(args, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert piped.returncode == 0 and "polling" not in piped.stderr and "\r" not in piped.stderr
    main, terminal = pty.openpty()
    with subprocess.Popen(args, cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=terminal) as process:
        os.close(terminal)
        seen = b""
        while True:
            try:
                chunk = os.read(main, 4096)
            except OSError:  # the terminal closed with the process
                break
            if not chunk:
                break
            seen += chunk
        assert process.wait(timeout=120) == 0
    os.close(main)
    assert b"polling" in seen and b"feed" in seen  # tqdm's bar: "polling: 100%|...| 1/1 feed"
