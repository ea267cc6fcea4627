"""Excerpt: the one or two sentences of an item's own text that carry the topic, decisive terms marked.

Sentences come from the cleaning stage, so an excerpt is never cut from clutter or from a trailing list
of other headlines, and never repeats a sentence.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from classifier import lexicon
from classifier.clean import Document

MAX_CHARS = 280
_WEIGHTS = {
    "DPRK": 3.0,
    "RUSSIA": 2.0,
    "KURSK": 2.5,
    "TROOPS": 1.5,
    "MUNITIONS": 1.5,
    "TECH": 1.0,
    "TREATY": 1.5,
    "MILITARY": 0.5,
    "COOPERATION": 0.5,
}
_MARKED = {"DPRK", "RUSSIA", "KURSK", "TROOPS", "MUNITIONS", "TECH", "TREATY"}


@dataclass(frozen=True)
class Excerpt:
    """At most 280 characters of the item's text.

    text: the excerpt, plain (escape it before putting it in HTML).
    marks: (start, end) spans of ``text`` holding decisive terms, in order, not overlapping.
    """

    text: str
    marks: tuple[tuple[int, int], ...] = ()

    def render(self, escape: callable = lambda s: s, open_tag: str = "<b>", close_tag: str = "</b>") -> str:
        """The text with each mark wrapped in tags; every other piece passed through ``escape``."""
        out, pos = [], 0
        for start, end in self.marks:
            out.append(escape(self.text[pos:start]))
            out.append(f"{open_tag}{escape(self.text[start:end])}{close_tag}")
            pos = end
        out.append(escape(self.text[pos:]))
        return "".join(out)


def _score(found: set[str] | frozenset[str]) -> float:
    score = sum(_WEIGHTS.get(c, 0.0) for c in found)
    if lexicon.is_core(found):
        score += 5.0
    return score


def _cut(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space > limit * 0.6:
        cut = cut[:space]
    return cut.rstrip(" ,;:-–—") + "…"


MAX_MARKS = 4  # more bold words than this and none of them stands out


def _marks(text: str, extra_terms: Iterable[str]) -> tuple[tuple[int, int], ...]:
    """The decisive terms of ``text``: the reasons given for the score first, then the topic's strongest
    concepts, at most ``MAX_MARKS`` of them, in reading order."""
    ranked: list[tuple[float, int, int]] = []  # (priority, start, end); lower priority goes first
    lower = text.lower()
    for rank, term in enumerate(extra_terms):
        t = term.lower()
        i = lower.find(t) if len(t) >= 4 else -1
        if i >= 0:
            ranked.append((rank - 100.0, i, i + len(t)))
    for c, s, e in lexicon.find(text):
        if c in _MARKED:
            ranked.append((-_WEIGHTS.get(c, 0.0), s, e))
    chosen: list[tuple[int, int]] = []
    for _, s, e in sorted(ranked):
        if any(s < e0 and s0 < e for s0, e0 in chosen):
            continue  # overlaps a mark already chosen (a reason usually contains its concept)
        chosen.append((s, e))
        if len(chosen) >= MAX_MARKS:
            break
    return tuple(sorted(chosen))


def excerpt(
    doc: Document,
    terms: Iterable[str] = (),
    limit: int = MAX_CHARS,
    concepts: Sequence[set[str] | frozenset[str]] | None = None,
) -> Excerpt:
    """Choose the best sentence of the body (and its best neighbour when both fit), in document order.

    Falls back to the title when the body holds nothing (an RSS item with no description). ``concepts``
    are the sentences' lexicon concepts when the caller has them already (the model's analysis does).
    """
    sentences = list(doc.sentences)
    if not sentences:
        text = _cut(doc.title, limit)
        return Excerpt(text, _marks(text, terms))
    if concepts is None or len(concepts) != len(sentences):
        concepts = [lexicon.concepts(s) for s in sentences]
    scores = [_score(found) for found in concepts]
    # Prefer the earliest of equally good sentences: leads carry the news, tails carry background.
    best = max(range(len(sentences)), key=lambda i: (scores[i], -i))
    chosen = [best]
    others = sorted((i for i in range(len(sentences)) if i != best), key=lambda i: (-scores[i], abs(i - best)))
    for i in others:
        if scores[i] <= 0 and i != best + 1:
            continue
        if len(sentences[best]) + 1 + len(sentences[i]) <= limit:
            chosen.append(i)
            break
    text = " ".join(sentences[i] for i in sorted(chosen))
    text = _cut(text, limit)
    return Excerpt(text, _marks(text, terms))
