"""Labels from every source end up in one training set; disagreements are resolved by the rules."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.ingest.parse import parse_feed
from bot.learn.labels import import_labels, is_holdout, label_item, resolved, training_split
from bot.store import Store
from bot.types import Feed

NOW = datetime(2025, 3, 3, 12, tzinfo=UTC)
RSS = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>
<item><title>Kim sends more troops to Kursk</title><link>https://news.example/1</link>
<description>Seoul says 3,000 more.</description></item>
<item><title>Rain in Rome</title><link>https://news.example/2</link></item></channel></rss>"""


@pytest.fixture
def store(tmp_path):
    s = Store.open(tmp_path / "t.db")
    s.add_items(parse_feed(RSS, Feed("F", "https://news.example/feed", "en"), {"content-type": "text/xml"}, NOW).items)
    yield s
    s.close()


def test_jsonl_import_reports_bad_lines_and_keeps_the_good_ones(store, tmp_path):
    path = tmp_path / "labels.jsonl"
    path.write_text(
        '{"link": "https://news.example/1", "label": 1}\n'
        "not json\n"
        '{"link": "https://news.example/unknown", "label": 1}\n'
        '{"link": "https://news.example/3", "label": "yes", "title": "Treaty ratified", "summary": "Duma votes."}\n'
        '{"link": "https://news.example/2", "label": "maybe"}\n'
        "\n"
        '{"id": "https://news.example/2", "label": 0}\n'
    )
    report = import_labels(store, path, NOW)
    assert report.imported == 3 and report.created_items == 1
    assert report.errors == [
        "labels.jsonl line 2: not valid JSON (Expecting value)",
        "labels.jsonl line 3: no stored item has link or id 'https://news.example/unknown'; give its 'title' (and "
        "'summary') to import it",
        "labels.jsonl line 5: 'label' must be 1/0 or yes/no, not 'maybe'",
    ]
    rows = {r["item_id"]: r for r in store.db["labels"].rows}
    assert {r["source"] for r in rows.values()} == {"import"}
    assert store.get_item("https://news.example/3").title == "Treaty ratified"


def test_csv_import_names_its_lines(store, tmp_path):
    path = tmp_path / "labels.csv"
    path.write_text("link,label,title\nhttps://news.example/1,1,\nhttps://news.example/2,x,\n")
    report = import_labels(store, path, NOW)
    assert report.imported == 1
    assert report.errors == ["labels.csv line 3: 'label' must be 1/0 or yes/no, not 'x'"]


def test_disagreements_admin_wins_else_majority_ties_left_out(store):
    one, two = "https://news.example/1", "https://news.example/2"
    for user, label in ((1, 0), (2, 0), (3, 1)):
        label_item(store, one, user, 100, label, "button", False, NOW)
    label_item(store, one, 9, 100, 1, "command", True, NOW)  # an admin says yes
    for user, label in ((1, 1), (2, 0)):
        label_item(store, two, user, 100, label, "button", False, NOW)
    items, ties = resolved(store)
    assert [(i.item.id, i.label, i.votes) for i in items] == [(one, 1, 4)]
    assert ties == 1
    label_item(store, two, 3, 100, 0, "button", False, NOW)  # a third vote breaks the tie
    items, ties = resolved(store)
    assert {(i.item.id, i.label) for i in items} == {(one, 1), (two, 0)} and ties == 0


def test_labels_from_every_source_reach_the_training_set(store, tmp_path):
    label_item(store, "https://news.example/1", 5, 5, 1, "button", False, NOW)
    label_item(store, "https://news.example/2", 9, 9, 0, "command", True, NOW)
    path = tmp_path / "more.jsonl"
    path.write_text('{"link": "https://news.example/9", "title": "Shells via Rajin", "label": 1}\n')
    import_labels(store, path, NOW)
    train, holdout = training_split(store)
    examples = {e.title: e.label for e in train + holdout}
    assert examples == {"Kim sends more troops to Kursk": 1, "Rain in Rome": 0, "Shells via Rajin": 1}


def test_the_holdout_split_is_stable_and_about_a_fifth():
    ids = [f"https://news.example/{i}" for i in range(2000)]
    share = sum(map(is_holdout, ids)) / len(ids)
    assert 0.17 < share < 0.23
    assert [is_holdout(i) for i in ids[:50]] == [is_holdout(i) for i in ids[:50]]
