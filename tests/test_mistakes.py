"""Every ordinary mistake a person makes with the command gets one clear line and the right exit status:
1 when something they gave cannot be used, 2 for a wrong command or option; never a traceback, and nothing
half-written. Each case runs the real command in a subprocess."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from test_cli import tieswatch

FEED = "feeds:\n  - name: A\n    url: https://example.org/a.xml\n    language: en\n"
RSS = '<?xml version="1.0"?><rss version="2.0"><channel><title>x</title></channel></rss>\n'
BINARY = bytes(range(256)) * 4


def write(path: Path, content: str | bytes) -> str:
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return str(path)


def readonly(path: Path, content: str) -> str:
    write(path, content)
    path.chmod(0o444)
    return str(path)


# (name, setup(tmp) -> extra args, expected text in the one line, exit status)
CASES = [
    ("import a missing OPML", lambda t: ["feeds", "import", str(t / "nope.opml")], "nope.opml: cannot read", 1),
    ("import a folder as OPML", lambda t: ["feeds", "import", str(t)], "cannot read (Is a directory)", 1),
    ("import a binary OPML", lambda t: ["feeds", "import", write(t / "x.opml", BINARY)], "not an OPML file", 1),
    (
        "import an RSS file as OPML",
        lambda t: ["feeds", "import", write(t / "feed.xml", RSS)],
        "not an OPML file (its root element is <rss>)",
        1,
    ),
    (
        "an OPML outline with a broken url",
        lambda t: [
            "feeds",
            "import",
            write(t / "l.opml", '<opml><body>\n<outline xmlUrl="http://[::1" language="en"/></body></opml>'),
        ],
        "l.opml line 2: url is malformed",
        1,
    ),
    ("import missing labels", lambda t: ["labels", "import", str(t / "nope.csv")], "nope.csv: cannot read", 1),
    ("import a folder as labels", lambda t: ["labels", "import", str(t)], "cannot read (Is a directory)", 1),
    ("import binary labels", lambda t: ["labels", "import", write(t / "l.csv", BINARY)], "not UTF-8 text", 1),
    (
        "a lone surrogate in JSON Lines labels",
        lambda t: ["labels", "import", write(t / "l.jsonl", '{"id": "x", "title": "\\ud800", "label": 1}\n')],
        "l.jsonl line 1: holds a lone surrogate",
        1,
    ),
    ("classify a missing file", lambda t: ["classify", str(t / "nope.jsonl")], "nope.jsonl: cannot read", 1),
    ("classify a folder", lambda t: ["classify", str(t)], "cannot read (Is a directory)", 1),
    ("classify a binary file", lambda t: ["classify", write(t / "b.jsonl", BINARY)], "b.jsonl: not UTF-8 text", 1),
    (
        "classify a lone surrogate",
        lambda t: ["classify", write(t / "s.jsonl", '{"title": "\\udc00 Kim"}\n')],
        "s.jsonl line 1: holds a lone surrogate",
        1,
    ),
    ("classify --text a binary file", lambda t: ["classify", "--text", write(t / "b.txt", BINARY)], "not UTF-8", 1),
    ("train on a missing file", lambda t: ["train", "--labelled", str(t / "nope.jsonl")], "nope.jsonl: cannot read", 1),
    (
        "train on a bad row",
        lambda t: ["train", "--labelled", write(t / "m.jsonl", '{"title": "a", "label": 1}\n{"title": "b"}\n')],
        "m.jsonl line 2: 'label' must be 0 or 1",
        1,
    ),
    ("evaluate a folder", lambda t: ["evaluate", "--labelled", str(t)], "cannot read (Is a directory)", 1),
    ("--data is a file", lambda t: ["subscribers", "add", "5", "--data", write(t / "f", "x")], "not a folder", 1),
    ("--data cannot be made", lambda t: ["subscribers", "add", "5", "--data", "/proc/tw/data"], "/proc/tw/data", 1),
    (
        "a read-only feeds.yaml",
        lambda t: ["feeds", "remove", "A", "--feeds", readonly(t / "ro.yaml", FEED)],
        "ro.yaml is read-only",
        1,
    ),
    (
        "a broken IPv6 url in feeds.yaml",
        lambda t: [
            "feeds",
            "list",
            "--feeds",
            write(t / "f.yaml", FEED.replace("https://example.org/a.xml", "'http://[::1'")),
        ],
        "f.yaml line 3: url is malformed",
        1,
    ),
    (
        "a language name in feeds.yaml",
        lambda t: ["feeds", "list", "--feeds", write(t / "f.yaml", FEED.replace("language: en", "language: english"))],
        "f.yaml line 4: language must be an ISO 639-1 code such as it, en or ko, not 'english' (valid: aa, ab",
        1,
    ),
    (
        "a one-second interval in feeds.yaml",
        lambda t: ["feeds", "list", "--feeds", write(t / "f.yaml", FEED + "    interval: 1s\n")],
        "f.yaml line 5: interval must be between 1m and 1d, not 1s",
        1,
    ),
    (
        "two feeds with one name",
        lambda t: [
            "feeds",
            "list",
            "--feeds",
            write(t / "f.yaml", FEED + FEED.replace("feeds:\n", "").replace("/a", "/b")),
        ],
        "f.yaml line 5: name 'A' is already used at line 2",
        1,
    ),
    ("feeds add --lang english", lambda t: ["feeds", "add", "https://x.org/f", "--lang", "english"], "--lang: ", 2),
    (
        "feeds add --interval 1s",
        lambda t: ["feeds", "add", "https://x.org/f", "--interval", "1s"],
        "between 1m and 1d",
        2,
    ),
    ("chat id 0", lambda t: ["subscribers", "add", "0"], "chat id 0 is no chat", 2),
    ("a user id as a channel", lambda t: ["subscribers", "add", "42", "--kind", "channel"], "42 is a user", 2),
    (
        "a negative timeout",
        lambda t: ["--env", "TIESWATCH_TIMEOUT=-1", "feeds", "list"],
        "TIESWATCH_TIMEOUT must be",
        1,
    ),
]


@pytest.mark.parametrize("name, args, expected, status", CASES, ids=[c[0] for c in CASES])
def test_each_mistake_gets_one_clear_line_and_its_exit_status(
    tmp_path, trained_model_dir, name, args, expected, status
):
    argv = args(tmp_path)
    if argv[0] == "classify":  # a model in use, so that nothing is trained first
        shutil.copytree(trained_model_dir / "models", tmp_path / "data" / "models")
    env = {}
    while argv[0] == "--env":
        key, _, value = argv[1].partition("=")
        env[key] = value
        argv = argv[2:]
    if "--feeds" not in argv:
        argv += ["--feeds", write(tmp_path / "feeds.yaml", FEED)]
    if "--data" not in argv and argv[0] not in ("train", "evaluate"):
        argv += ["--data", str(tmp_path / "data")]
    elif argv[0] in ("train", "evaluate"):
        argv = ["--data", str(tmp_path / "data"), *argv]
    result = tieswatch(*argv, cwd=tmp_path, env=env)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert "Traceback" not in result.stderr, result.stderr
    assert any(expected in line for line in lines), result.stderr
    assert len(lines) <= 2, result.stderr  # the line, and at most a summary of what was (not) done
    assert result.returncode == status, result.stderr


def test_a_list_piped_into_head_ends_quietly(tmp_path):
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "feeds", "export", "--feeds", write(tmp_path / "f.yaml", FEED * 1)],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    process.stdout.close()  # the reader is gone before anything is written, as `| head -0` would be
    _, err = process.communicate(timeout=60)
    assert b"Traceback" not in err and b"BrokenPipe" not in err, err


def test_a_labels_file_with_a_bad_row_writes_the_good_rows_in_one_go(tmp_path):
    csv = "link,label\nhttps://example.org/a,1\nhttps://example.org/b,0,extra\nhttps://example.org/c,yes\n"
    data = ["--data", str(tmp_path / "data")]
    result = tieswatch("labels", "import", write(tmp_path / "l.csv", csv), *data, cwd=tmp_path)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "l.csv line 3: more columns than the header" in result.stderr
    assert "l.csv line 2: no stored item has link" in result.stderr  # rows without a title need a known item
    exported = tieswatch("labels", "export", *data, cwd=tmp_path)
    assert exported.stdout == ""  # nothing was imported: no row was usable


def test_subscribers_kind_follows_the_ids_sign_and_is_never_silently_replaced(tmp_path):
    data = ["--data", str(tmp_path / "data")]
    user = tieswatch("subscribers", "add", "42", *data, cwd=tmp_path)
    assert user.returncode == 0 and "chat 42 (private) subscribed" in user.stdout
    group = tieswatch("subscribers", "add", "-4242", *data, cwd=tmp_path)
    assert "(group)" in group.stdout
    channel = tieswatch("subscribers", "add", "-1001234", *data, cwd=tmp_path)
    assert "(channel)" in channel.stdout
    again = tieswatch("subscribers", "add", "-1001234", "--kind", "supergroup", *data, cwd=tmp_path)
    assert again.returncode == 0 and "kind changed from channel to supergroup" in again.stdout
    kept = tieswatch("subscribers", "add", "-1001234", *data, cwd=tmp_path)
    assert "(supergroup) subscribed again" in kept.stdout
    listed = json.loads(tieswatch("subscribers", "list", "--json", *data, cwd=tmp_path).stdout)
    assert {s["chat_id"]: s["kind"] for s in listed} == {42: "private", -4242: "group", -1001234: "supergroup"}


def test_resume_says_when_nothing_was_paused_and_read_only_commands_create_nothing(tmp_path):
    feeds = write(tmp_path / "feeds.yaml", FEED)
    missing = tmp_path / "not-yet"
    listed = tieswatch("subscribers", "list", "--data", str(missing), cwd=tmp_path)
    assert listed.returncode == 0 and not missing.exists()
    assert tieswatch("feeds", "list", "--feeds", feeds, "--data", str(missing), cwd=tmp_path).returncode == 0
    assert not missing.exists()
    resumed = tieswatch("feeds", "resume", "a", "--feeds", feeds, "--data", str(tmp_path / "d"), cwd=tmp_path)
    assert resumed.returncode == 0 and "'A' is not paused: nothing to resume" in resumed.stdout
