"""Benchmark: how well the same-story measure tells one event reported by several outlets, in several
languages, from different events with the same actors. Every pair of reports in tests/data/stories.jsonl
(written for this project: 22 events, 72 reports in nine languages) is scored; a pair is "same story" when
both report the same event. Prints precision and recall of "same story" over a sweep of thresholds and at
the threshold in use, the pairs it gets wrong there, and the time per comparison.

    .venv/bin/python benchmarks/story_bench.py [--show-missed]
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.learn.similarity import LEXICAL  # noqa: E402
from bot.types import StoryText  # noqa: E402

STORIES = ROOT / "tests" / "data" / "stories.jsonl"


def precision_recall(pairs: list[tuple[float, bool]], threshold: float) -> tuple[float, float, int]:
    chosen = [same for score, same in pairs if score >= threshold]
    same = sum(s for _, s in pairs)
    hits = sum(chosen)
    return (hits / len(chosen) if chosen else 1.0), hits / same, len(chosen)


def pair(score: float, a: dict, b: dict) -> str:
    return f"  {score:.2f}  [{a['language']}] {a['title'][:55]}  |  [{b['language']}] {b['title'][:55]}"


def main(show_missed: bool) -> None:
    rows = [json.loads(line) for line in STORIES.read_text(encoding="utf-8").splitlines() if line.strip()]
    texts = [StoryText(r["title"], r["summary"], r["language"]) for r in rows]
    start = time.perf_counter()
    LEXICAL(texts[0], texts[1])  # the corpus frequencies, once
    warm = time.perf_counter() - start
    start = time.perf_counter()
    scored = [(LEXICAL(texts[i], texts[j]), i, j) for i, j in itertools.combinations(range(len(rows)), 2)]
    per_pair = (time.perf_counter() - start) / len(scored)
    pairs = [(score, rows[i]["event"] == rows[j]["event"]) for score, i, j in scored]
    events = len({r["event"] for r in rows})
    languages = len({r["language"] for r in rows})
    print(
        f"{len(rows)} reports of {events} events in {languages} languages: {len(pairs)} pairs, "
        f"{sum(s for _, s in pairs)} of them the same story"
    )
    print("threshold  precision  recall  pairs called same")
    for threshold in (0.10, 0.15, 0.20, 0.25, 0.30, 0.35, 0.40):
        p, r, n = precision_recall(pairs, threshold)
        mark = "  <- in use" if abs(threshold - LEXICAL.threshold) < 1e-9 else ""
        print(f"{threshold:9.2f}  {p:9.3f}  {r:6.3f}  {n:17d}{mark}")
    p, r, n = precision_recall(pairs, LEXICAL.threshold)
    print(f"lexical measure at {LEXICAL.threshold}: precision of 'same story' {p:.3f}, recall {r:.3f}")
    for name, one_language in (("in one language", True), ("across two languages", False)):
        subset = [
            (s, same)
            for (s, i, j), (_, same) in zip(scored, pairs, strict=True)
            if (texts[i].language == texts[j].language) == one_language
        ]
        ps, rs, _ = precision_recall(subset, LEXICAL.threshold)
        print(f"  pairs {name}: precision {ps:.3f}, recall {rs:.3f}")
    print(f"corpus frequencies built in {warm:.2f} s; {per_pair * 1e6:.0f} µs per comparison")
    print("wrongly called the same story:")
    for score, i, j in sorted(scored, reverse=True):
        if score >= LEXICAL.threshold and rows[i]["event"] != rows[j]["event"]:
            print(pair(score, rows[i], rows[j]))
    if show_missed:
        print("same story, missed:")
        for score, i, j in sorted(scored, reverse=True):
            if score < LEXICAL.threshold and rows[i]["event"] == rows[j]["event"]:
                print(pair(score, rows[i], rows[j]))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--show-missed", action="store_true", help="also list the same-story pairs not found")
    main(parser.parse_args().show_missed)
