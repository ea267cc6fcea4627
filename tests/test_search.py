"""Search over the stored items: FTS5 built by a migration (also for items stored before it), every word as a
word start in any script, newest first, flagged-only, pages; and the `tieswatch search` command."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from test_cli import tieswatch

from bot.store import MIGRATIONS, Store
from bot.store.search import fts_query
from bot.types import Item, Score
from classifier.excerpt import Excerpt

NOW = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
STORIES = [  # (id, language, title, summary, hours ago, flagged)
    ("en1", "en", "North Korean troops reach Kursk, Seoul says", "3,000 soldiers joined Russian units.", 1, True),
    ("ru1", "ru", "Войска КНДР в Курской области", "Северокорейские солдаты прибыли в Курск.", 2, True),
    ("ko1", "ko", "북한군 쿠르스크 투입", "북한이 러시아에 병력을 보냈다고 국정원이 밝혔다.", 3, True),
    ("it1", "it", "Soldati nordcoreani a Kursk", "Truppe di Pyongyang nella regione di Kursk.", 4, True),
    ("fr1", "fr", "Des soldats nord-coréens près de Koursk", "Séoul confirme l'envoi de troupes.", 5, True),
    ("en2", "en", "Kursk nuclear plant holds a safety drill", "A routine exercise at the power station.", 6, False),
]


def item(key: str, lang: str, title: str, summary: str, hours: int) -> Item:
    when = NOW - timedelta(hours=hours)
    link = f"https://e.org/{key}"
    return Item(key, "https://example.org/feed", f"Wire {lang}", lang, title, summary, "", link, when, when)


def fill(store: Store) -> None:
    store.add_items(item(*s[:5]) for s in STORIES)
    store.store_scores([Score(s[0], 0.9 if s[5] else 0.1, s[5], (), Excerpt(""), "v") for s in STORIES], NOW)


@pytest.fixture
def store(tmp_path):
    s = Store.open(tmp_path / "s.db")
    fill(s)
    yield s
    s.close()


def ids(page) -> list[str]:
    return [f.item_id for f in page.found]


def test_every_word_must_start_a_word_in_any_script_and_results_come_newest_first(store):
    assert ids(store.search_items("Kursk")) == ["en1", "it1", "en2"]
    assert ids(store.search_items("kursk troops")) == ["en1"]
    assert ids(store.search_items("Курск")) == ["ru1"]  # "Курской", "Курск": word starts
    assert ids(store.search_items("북한")) == ["ko1"]  # "북한군", "북한이"
    assert ids(store.search_items("Seoul")) == ["en1", "fr1"]  # "Séoul" too: diacritics folded
    assert ids(store.search_items("Kursk", relevant_only=True)) == ["en1", "it1"]
    page = store.search_items("Kursk")
    assert page.found[0].snippet.render(lambda s: s, "[", "]").count("[Kursk]") == 1  # the match is marked


def test_pages_and_totals(store):
    first = store.search_items("Kursk", limit=2)
    second = store.search_items("Kursk", limit=2, offset=2)
    assert (first.total, ids(first), ids(second)) == (3, ["en1", "it1"], ["en2"])


@pytest.mark.parametrize("words", ['"', "a OR", "NEAR(x", "*", "-", 'Kursk" OR "x', "col:Kursk"])
def test_operators_and_quotes_are_plain_words_never_an_error(store, words):
    store.search_items(words)  # no FTS5 syntax error reaches anyone
    assert fts_query("?!") is None and fts_query("") is None


def test_the_migration_indexes_the_items_stored_before_it(tmp_path):
    path = tmp_path / "old.db"
    old = Store.open(path, migrations=[m for m in MIGRATIONS if m[0] < "004"])
    fill(old)
    old.close()
    store = Store.open(path)
    try:
        assert ids(store.search_items("Kursk")) == ["en1", "it1", "en2"]
        store.add_items([item("de1", "de", "Nordkoreanische Soldaten bei Kursk", "", 0)])  # new ones by trigger
        assert ids(store.search_items("Kursk"))[0] == "de1"
    finally:
        store.close()


def test_the_search_command_prints_matches_newest_first(tmp_path):
    store = Store.open(tmp_path / "data" / "tieswatch.db")
    fill(store)
    store.close()
    result = tieswatch("search", "Kursk", "--data", str(tmp_path / "data"), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    order = [n for n, line in enumerate(lines) for key in ("en1", "it1", "en2") if f"e.org/{key}" in line]
    assert order == sorted(order) and len(order) == 3
    assert "1–3 of 3 stored items matching 'Kursk'" in result.stdout
    flagged = tieswatch("search", "--relevant", "--limit", "1", "Kursk", "--data", str(tmp_path / "data"), cwd=tmp_path)
    assert "e.org/en1" in flagged.stdout and "e.org/it1" not in flagged.stdout and "next: --page 2" in flagged.stdout
    bad = tieswatch("search", "?!", "--data", str(tmp_path / "data"), cwd=tmp_path)
    assert bad.returncode == 2 and "nothing to search for" in bad.stderr


def test_a_saved_search_belongs_to_its_chat_and_is_forgotten_after_a_week(store):
    old = store.save_search(1, "Kursk", NOW - timedelta(days=8))
    mine = store.save_search(1, "Курск", NOW)
    newer = store.save_search(1, "북한", NOW)
    assert store.saved_search(mine, 1) == "Курск" and store.saved_search(newer, 1) == "북한"
    assert store.saved_search(mine, 2) is None  # another chat's buttons cannot page through it
    assert store.saved_search(old, 1) is None
    assert len({old, mine, newer}) == 3  # an id is never given twice: an old button finds nothing, not another
