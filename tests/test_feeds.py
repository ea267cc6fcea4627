"""feeds.yaml: validation messages name the line and the field; edits keep the comments."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import ROOT

from bot.errors import ConfigError, FeedsFileError
from bot.ingest.feeds_edit import add_feed, remove_feed
from bot.ingest.feeds_yaml import check_interval, language_code, load_feeds, parse_duration
from bot.types import Feed

GOOD = """\
# our feeds
feeds:
  # Italian first
  - name: ANSA
    url: https://www.ansa.it/mondo.xml
    language: it
    interval: 90s
  - name: BBC
    url: https://feeds.bbci.co.uk/news/world/rss.xml
    language: en
"""


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "feeds.yaml"
    p.write_text(text, encoding="utf-8")
    return p


def test_loads_entries_with_defaults(tmp_path):
    feeds = load_feeds(write(tmp_path, GOOD))
    assert feeds == [
        Feed("ANSA", "https://www.ansa.it/mondo.xml", "it", 90, line=4),
        Feed("BBC", "https://feeds.bbci.co.uk/news/world/rss.xml", "en", 600, line=8),
    ]


def test_every_mistake_is_reported_with_its_line_and_field(tmp_path):
    bad = """\
feeds:
  - name: No url
    language: it
  - name: Bad interval
    url: https://example.org/a.xml
    language: en
    interval: often
  - name: Ftp
    url: ftp://example.org/feed
    language: en
  - name: Typo
    url: https://example.org/b.xml
    langauge: en
  - name: Dup
    url: https://example.org/a.xml
    language: en
"""
    with pytest.raises(FeedsFileError) as err:
        load_feeds(write(tmp_path, bad))
    assert err.value.problems == [
        "feeds.yaml line 2: 'url' is missing",
        "feeds.yaml line 7: interval must look like 90s, 10m or 1h",
        "feeds.yaml line 9: url must start with http:// or https://",
        "feeds.yaml line 13: unknown field 'langauge' (fields: name, url, language, interval)",
        "feeds.yaml line 11: 'language' is missing",
        "feeds.yaml line 15: url already listed at line 4",
    ]


def test_broken_yaml_names_the_line(tmp_path):
    with pytest.raises(FeedsFileError, match="line 3"):
        load_feeds(write(tmp_path, "feeds:\n  - name: a\n    url: [unclosed\n"))


def test_missing_file_says_how_to_point_at_one(tmp_path):
    with pytest.raises(ConfigError, match="TIESWATCH_FEEDS"):
        load_feeds(tmp_path / "nope.yaml")


def test_durations():
    assert [parse_duration(d) for d in ("90s", "10m", "1h", "1d")] == [90, 600, 3600, 86400]
    with pytest.raises(ValueError):
        parse_duration("10 minutes")


def test_add_and_remove_keep_comments_and_order(tmp_path):
    path = write(tmp_path, GOOD)
    add_feed(path, Feed("Meduza", "https://meduza.io/rss/all", "ru", 1800))
    text = path.read_text()
    assert "# our feeds" in text and "# Italian first" in text
    assert [f.name for f in load_feeds(path)] == ["ANSA", "BBC", "Meduza"]
    assert load_feeds(path)[2].interval == 1800
    with pytest.raises(ConfigError, match="already"):
        add_feed(path, Feed("Other", "https://meduza.io/rss/all", "ru"))
    removed = remove_feed(path, "BBC")
    assert removed.url.startswith("https://feeds.bbci")
    assert [f.name for f in load_feeds(path)] == ["ANSA", "Meduza"]
    assert "# Italian first" in path.read_text()


def test_the_shipped_feed_list_is_valid_and_broad():
    feeds = load_feeds(ROOT / "feeds.yaml")
    assert len(feeds) >= 15
    langs = {f.language for f in feeds}
    assert {"it", "en"} <= langs and len(langs - {"it", "en"}) >= 3


LAYOUT = """\
# our feeds
feeds:
  # --- Italian
  - name: ANSA
    url: https://www.ansa.it/mondo.xml   # the world desk
    language: it
    interval: 15m

  # --- English
  - name: "BBC: World, with a name long enough that a YAML library would happily wrap it onto two lines"
    url: 'https://feeds.bbci.co.uk/news/world/rss.xml?with=a&rather=long&query=string&that=goes&on=and&on=1'
    language: en
  - name: Daily NK
    url: https://www.dailynk.com/english/feed/
    language: en
# the end
"""


def test_an_edit_changes_only_the_lines_of_its_entry(tmp_path):
    path = write(tmp_path, LAYOUT)
    add_feed(path, Feed("Meduza: Русская служба", "https://meduza.io/rss/all", "ru", 1800))
    after_add = path.read_text(encoding="utf-8")
    lines = LAYOUT.splitlines(keepends=True)
    assert after_add.startswith("".join(lines[:-1]))  # every line before stays byte for byte
    assert after_add.endswith("# the end\n")
    assert [f.name for f in load_feeds(path)][-1] == "Meduza: Русская служба"
    remove_feed(path, "ansa")
    assert path.read_text(encoding="utf-8") == after_add.replace(
        "  - name: ANSA\n    url: https://www.ansa.it/mondo.xml   # the world desk\n    language: it\n"
        "    interval: 15m\n",
        "",
    )  # the section comments around it stay, and so does the long entry, unwrapped
    assert [p.name for p in tmp_path.iterdir()] == ["feeds.yaml"]  # no temporary file left behind


def test_a_flow_style_list_is_still_edited_correctly(tmp_path):
    path = write(tmp_path, "feeds: [{name: A, url: 'https://a.org/f', language: en}]\n")
    add_feed(path, Feed("B", "https://b.org/f", "de"))
    remove_feed(path, "A")
    assert [(f.name, f.language) for f in load_feeds(path)] == [("B", "de")]


def test_an_empty_or_missing_list_gets_its_first_entry(tmp_path):
    path = write(tmp_path, "# nothing yet\n")
    add_feed(path, Feed("A", "https://a.org/f", "en"))
    assert path.read_text().startswith("# nothing yet\nfeeds:\n")
    add_feed(tmp_path / "new.yaml", Feed("B", "https://b.org/f", "en", 120))
    assert [(f.name, f.interval) for f in load_feeds(tmp_path / "new.yaml")] == [("B", 120)]


def test_values_are_checked_where_they_enter(tmp_path):
    path = write(tmp_path, GOOD)
    with pytest.raises(ConfigError, match="named 'bbc' is already"):
        add_feed(path, Feed("bbc", "https://other.org/f", "en"))
    with pytest.raises(ConfigError, match="ISO 639-1"):
        add_feed(path, Feed("X", "https://other.org/f", "english"))
    with pytest.raises(ConfigError, match="between 1m and 1d"):
        add_feed(path, Feed("X", "https://other.org/f", "en", 5))
    add_feed(path, Feed("X", "https://other.org/f", "en", 5), min_interval=1)  # feeds we serve ourselves
    assert load_feeds(path, min_interval=1)[-1].interval == 5
    with pytest.raises(FeedsFileError, match="not 5s"):
        load_feeds(path)
    assert language_code("EN-us") == "en" and check_interval("1d") == 86400
    with pytest.raises(ValueError, match="between 1m and 1d, not 2d"):
        check_interval("2d")
