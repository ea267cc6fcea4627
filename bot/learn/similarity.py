"""Similarity: whether two news items report the same event (the same story), in one language or two.

The interface is small on purpose: a ``Similarity`` takes two items' texts and returns a number, and says at
which number two items are the same story. The lexical measure here is the fallback; multilingual sentence
embeddings from the classifier plug in as another ``Similarity`` with its own threshold.

The lexical measure compares what survives translation: numbers (3,000 = 3.000 = 3 000 = 3천), the
lexicon's concepts ("Corea del Nord" = "КНДР" = "북한"), names spelled by sound (Shoigu = Schoigu = Szojgu =
Шойгу), and word stems, each weighted by how rare it is in the bundled corpus of this very topic: "North
Korea" and "Russia" are in every item and count for almost nothing, "Vostochny" or "9 million" count for a
lot. Its threshold is measured on tests/data/stories.jsonl by benchmarks/story_bench.py.
"""

from __future__ import annotations

import collections
import math
import re
import unicodedata
from collections.abc import Sequence
from functools import cache, lru_cache
from typing import Protocol

from bot.types import StoryText
from classifier import lexicon


class Similarity(Protocol):
    """How alike two items' texts are, and from how alike they are the same story."""

    threshold: float

    def __call__(self, a: StoryText, b: StoryText) -> float: ...


_WORD = re.compile(r"\w+")
_CAPITAL = "A-ZÀ-ÖØ-ÞА-ЯЁІЇЄҐ"
_FULL_NAME = re.compile(rf"[{_CAPITAL}]\w+(?:[ -][{_CAPITAL}]?\w+){{1,2}}")  # Kim Jong Un, Choe Son Hui
_NUMBER = re.compile(r"\d+(?:[.,\u00a0 ]\d{3})*(?:[.,]\d+)?")
_KOREAN_NUMBER = re.compile(r"(\d+)만\s*(?:(\d+)천)?")  # 1만4천 = 14,000
_THOUSANDS = ("천", "тыс", "тис", "tys", "thousand", "mila", "mil ", "tausend")
_MILLIONS = ("mln", "million", "milion", "millón", "millon", "milioni", "mio", "млн", "мільйон", "миллион", "백만")
_TO_LATIN = dict(
    zip(
        "абвгдеёжзийклмнопрстуфхцчшщъыьэюяієїґ",
        "a b v g d e e zh z i i k l m n o p r s t u f kh ts ch sh shch - y - e yu ya i ye yi g".split(),
        strict=True,
    )
)
_TO_LATIN = {k: ("" if v == "-" else v) for k, v in _TO_LATIN.items()}
_TO_LATIN.update({"ł": "l", "ß": "ss", "ø": "o", "đ": "d", "æ": "ae", "œ": "oe"})  # letters NFKD keeps whole
# Names by sound: spellings differ by language (sch/sh/sz, ch/kh/h, w/v, j/y), the consonants mostly do not.
_DIGRAPHS = (("shch", "s"), ("sch", "s"), ("tch", "k"), ("sh", "s"), ("sz", "s"), ("zh", "s"), ("cz", "k"))
_DIGRAPHS += (("ch", "k"), ("kh", "k"), ("ts", "s"), ("tz", "s"), ("ph", "p"), ("ck", "k"))
_SOUND = {
    **dict.fromkeys("kgqcxh", "k"),
    **dict.fromkeys("szj", "s"),
    **dict.fromkeys("bpfvw", "p"),
    **dict.fromkeys("dt", "t"),
    **dict.fromkeys("mn", "n"),
    **dict.fromkeys("lr", "r"),  # one sound in Korean (and Japanese) spellings of foreign names
}


# The consonants of Hangul syllables in Latin letters (vowels do not matter for names by sound): initial
# and final jamo by their index in a syllable, U+AC00 + (initial * 21 + vowel) * 28 + final.
_INITIALS = "g kk n d tt r m b pp s ss - j jj ch k t p h".split()
_FINALS = "- g kk gs n nj nh d l lg lm lb ls lt lp lh m b bs s ss ng j ch k t p h".split()
_W_VOWELS = {9, 10, 11, 14, 15, 16}  # wa, wae, oe, wo, we, wi: the w of 원산 is Wonsan's


def _romanize(syllable: str) -> str:
    code = ord(syllable) - 0xAC00
    if not 0 <= code < 11172:
        return syllable
    initial, vowel, final = _INITIALS[code // 588], (code % 588) // 28, _FINALS[code % 28]
    return f"{initial}{'wa' if vowel in _W_VOWELS else 'a'}{final}".replace("-", "")


def _fold(word: str) -> str:
    """Lower case, Cyrillic and Hangul spelled in Latin letters, accents and strokes dropped (ł is l)."""
    word = "".join(_TO_LATIN.get(c) or _romanize(c) for c in word.lower())
    return "".join(c for c in unicodedata.normalize("NFKD", word) if not unicodedata.combining(c))


def _sound(word: str) -> str:
    """The first four consonant sounds of a name: Shoigu, Schoigu, Szojgu and Шойгу all give "sk"."""
    word = _fold(word)
    for digraph, sound in _DIGRAPHS:
        word = word.replace(digraph, sound)
    out: list[str] = []
    for c in word:
        s = _SOUND.get(c)
        if s and (not out or out[-1] != s):
            out.append(s)
    return "".join(out[:4])


def _hangul(word: str) -> bool:
    return any("\uac00" <= c <= "\ud7a3" for c in word)


def _numbers(text: str) -> set[str]:
    """Quantities written in any of the languages, as one spelling: "3,000", "3.000", "3 000", "3천" are #3000.
    Small numbers and years say little about which event it is and are left out."""
    found = set()
    for m in _KOREAN_NUMBER.finditer(text):
        found.add(f"#{int(m.group(1)) * 10000 + int(m.group(2) or 0) * 1000}")
    text = _KOREAN_NUMBER.sub(" ", text)
    for m in _NUMBER.finditer(text):
        digits = re.sub(r"[.,\u00a0 ](?=\d{3}\b)", "", m.group()).replace(",", ".")
        try:
            value = float(digits)
        except ValueError:
            continue
        after = text[m.end() : m.end() + 12].lower().lstrip()
        if after.startswith(_THOUSANDS):
            value *= 1000
        elif after.startswith(_MILLIONS):
            value *= 1_000_000
        if value >= 10 and not (value.is_integer() and 1990 <= value <= 2035):
            found.add(f"#{value:g}")
    return found


def features(title: str, body: str) -> set[str]:
    """What the lexical measure compares: word stems (w:), names by sound (n:), acronyms, Korean word starts
    (k:), numbers (#) and the lexicon's concepts (c:)."""
    text = f"{title}. {body}"
    found = _numbers(text) | {f"c:{c}" for c in lexicon.concepts(text)}
    for name in _FULL_NAME.findall(text):
        parts = re.split(r"[ -]", name)
        if all(p[:1].isupper() or len(p) <= 3 for p in parts) and len(sound := _sound(name.replace(" ", ""))) >= 4:
            found.add(f"n:{sound}")  # one name in three words, as Korean writes it in one: 김정은
    for word in _WORD.findall(text):
        if word.isdigit():
            continue
        if _hangul(word):
            if len(word) >= 2:
                found.add(f"k:{word[:2]}")  # particles follow the stem: 북한이, 북한의 -> 북한
                if len(sound := _sound(word)) >= 3:
                    found.add(f"n:{sound}")  # 쿠르스크서 -> krsk, as Kursk; 원산 as Wonsan
            continue
        if word.isupper() and 2 <= len(word) <= 5:
            found.add(f"n:{_fold(word)}")  # NIS, SBU, MSMT, KCNA
        if len(word) >= 4:
            found.add(f"w:{_fold(word)[:5]}")
            if word[0].isupper() and len(sound := _sound(word)) >= 3:
                found.add(f"n:{sound}")
    return found


@cache
def _document_frequencies() -> tuple[int, collections.Counter, dict[str, tuple[int, collections.Counter]]]:
    """How many bundled corpus items hold each feature: overall, and per language (for words, which belong to
    one language: "north" is in nearly every English item, and so worth nothing)."""
    from classifier.corpus import bundled_examples

    overall: collections.Counter = collections.Counter()
    by_lang: dict[str, tuple[int, collections.Counter]] = {}
    for example in bundled_examples():
        found = features(example.title, example.body[:600])
        overall.update(found)
        n, counts = by_lang.get(example.lang, (0, collections.Counter()))
        counts.update(found)
        by_lang[example.lang] = (n + 1, counts)
    return sum(n for n, _ in by_lang.values()), overall, by_lang


class LexicalSimilarity:
    """Cosine of two items' features, each weighted by its rarity in the bundled corpus (see the module)."""

    threshold = 0.25  # precision of "same story" 0.98 on tests/data/stories.jsonl (benchmarks/story_bench.py)

    @staticmethod
    def prepare() -> None:
        """Count the corpus now (about a second), rather than in the middle of the first poll with an alert."""
        _document_frequencies()

    def __call__(self, a: StoryText, b: StoryText) -> float:
        va, vb = self.vector(a), self.vector(b)
        if a.language != b.language:  # Korean word starts can only meet Korean: elsewhere they just dilute
            va, vb = ({f: w for f, w in v.items() if f[0] != "k"} for v in (va, vb))
        shared = sum(w * vb[f] for f, w in va.items() if f in vb)
        norms = math.sqrt(sum(w * w for w in va.values())) * math.sqrt(sum(w * w for w in vb.values()))
        return shared / norms if norms else 0.0

    @staticmethod
    @lru_cache(maxsize=4096)
    def vector(text: StoryText) -> dict[str, float]:
        total, overall, by_lang = _document_frequencies()
        n_lang, in_lang = by_lang.get(text.language, (0, None))
        vector = {}
        for f in features(text.title, text.body):
            if f[0] in "wk" and in_lang is not None:
                vector[f] = math.log((n_lang + 1) / (in_lang[f] + 1))
            else:
                vector[f] = math.log((total + 1) / (overall[f] + 1))
        return vector


LEXICAL = LexicalSimilarity()


def find_story(text: StoryText, stories: Sequence[tuple[int, StoryText]], similarity: Similarity) -> int | None:
    """The story ``text`` reports on again: of the (story, text) pairs, the story of the most similar text if
    that is at or above the measure's threshold; None when it is news of its own."""
    best, best_score = None, similarity.threshold
    for story, other in stories:
        score = similarity(text, other)
        if score >= best_score:
            best, best_score = story, score
    return best
