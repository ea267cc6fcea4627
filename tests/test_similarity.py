"""The same-story measure: what it compares survives translation, and on the story pairs written for it, the
reports it calls one story are one story."""

from __future__ import annotations

import itertools
import json

from conftest import DATA

from bot.learn.similarity import LEXICAL, Similarity, features
from bot.types import StoryText


def numbers(text: str) -> set[str]:
    return {f for f in features(text, "") if f.startswith("#")}


def names(text: str) -> set[str]:
    return {f for f in features(text, "") if f.startswith("n:")}


def test_quantities_are_one_spelling_in_every_language_and_years_are_left_out():
    for text in ("3,000 troops", "3.000 soldati", "3 000 военных", "3000명", "3천 명", "3 тыс. военных"):
        assert numbers(text) == {"#3000"}, text
    assert numbers("약 1만4천 명") == {"#14000"}
    assert numbers("9 million shells") == numbers("9 mln pocisków") == {"#9e+06"}
    assert numbers("in 2024, 2 soldiers") == set()


def test_names_match_by_sound_across_spellings_and_scripts():
    assert names("said Zelensky") & names("sagte Selenskyj") & names("заявив Зеленський") & names("powiedział Zełenski")
    assert names("in Kharkiv") & names("in Charkiw") & names("по Харкову")
    assert names("in Kursk") & names("à Koursk") & names("쿠르스크서")
    assert names("in Wonsan") & names("원산서") and names("Vladivostok") & names("블라디보스토크")
    assert names("with Kim Jong Un") & names("김정은")


def stories() -> list[dict]:
    return [json.loads(line) for line in (DATA / "stories.jsonl").read_text(encoding="utf-8").splitlines()]


def test_on_the_story_pairs_what_is_called_one_story_is_one_story():
    rows = stories()
    assert len({r["language"] for r in rows}) == 9 and len({r["event"] for r in rows}) >= 20
    measure: Similarity = LEXICAL
    called, right, same = 0, 0, 0
    for a, b in itertools.combinations(rows, 2):
        one = a["event"] == b["event"]
        same += one
        score = measure(
            StoryText(a["title"], a["summary"], a["language"]), StoryText(b["title"], b["summary"], b["language"])
        )
        if score >= measure.threshold:
            called += 1
            right += one
    assert right / called >= 0.95  # precision of "same story" (benchmarks/story_bench.py prints the figures)
    assert right / same >= 0.4  # and it finds a good share of them, across languages too
