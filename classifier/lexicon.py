"""A small multilingual lexicon: names, units and weapons in every script mapped onto shared concepts.

"Corea del Nord", "КНДР", "Північна Корея" and "북한" all become the concept DPRK, so what the model learns
from Italian carries over to Korean. Patterns match word starts (stems), case-insensitively.

The terms live in ``lexicon.tsv`` beside this module (concept, term, exact), one row per term, so the people
who edit them change data, not code; the concepts and their display names are here in ``NAMES``.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

_MIL_CONCEPTS = ("TROOPS", "MUNITIONS", "TECH", "TREATY", "KURSK")
NAMES = {
    "DPRK": "North Korea",
    "RUSSIA": "Russia",
    "KURSK": "Kursk",
    "TROOPS": "troops",
    "MUNITIONS": "munitions",
    "TECH": "technology/oil",
    "TREATY": "treaty",
    "MILITARY": "military",
    "COOPERATION": "cooperation",
    "SANCTIONS": "sanctions/intelligence",
    "UKRAINE": "Ukraine",
    "CIVIL": "civilian ties",
    "THIRD": "third country",
}

_TABLE = Path(__file__).parent / "lexicon.tsv"
_HEADER = ("concept", "term", "exact")
_FLAGS = {"yes": True, "no": False}
_WORD = re.compile(r"\w+")


class LexiconError(ValueError):
    """``lexicon.tsv`` has a row that cannot be read; the message names the file and line."""


@cache
def _rows(path: Path = _TABLE) -> tuple[tuple[str, str, bool], ...]:
    """(concept, term, exact) for every row of the table, in file order. Comment (#) and blank lines are skipped.

    ``exact`` marks a single-word term that must match a whole word: short stems such as "war" would otherwise
    swallow unrelated words ("warning").
    """
    rows: list[tuple[str, str, bool]] = []
    header = False
    for n, line in enumerate(path.read_text(encoding="utf-8-sig").split("\n"), 1):
        if not line.strip() or line.startswith("#"):
            continue
        where = f"{path.name} line {n}"
        fields = tuple(line.split("\t"))
        if not header:
            if fields != _HEADER:
                raise LexiconError(f"{where}: expected the header {'<TAB>'.join(_HEADER)!r}, got {line!r}")
            header = True
            continue
        if len(fields) != len(_HEADER):
            raise LexiconError(f"{where}: expected 3 tab-separated columns (concept, term, exact), got {line!r}")
        concept, term, flag = fields
        if concept not in NAMES:
            raise LexiconError(f"{where}: unknown concept {concept!r}; the concepts are {', '.join(NAMES)}")
        if flag not in _FLAGS:
            raise LexiconError(f"{where}: exact must be 'yes' or 'no', got {flag!r}")
        words = _WORD.findall(term.lower())
        if not words or term != " ".join(term.split()):
            raise LexiconError(f"{where}: term {term!r} has no word in it or stray (leading, trailing, double) spaces")
        if _FLAGS[flag] and len(words) != 1:
            raise LexiconError(f"{where}: only a single-word term can be exact, {term!r} has {len(words)} words")
        rows.append((concept, term, _FLAGS[flag]))
    if not header:
        raise LexiconError(f"{path.name}: no header line {'<TAB>'.join(_HEADER)!r}")
    return tuple(rows)


def _concepts() -> dict[str, tuple[str, ...]]:
    table: dict[str, list[str]] = {}
    for concept, term, _exact in _rows():
        table.setdefault(concept, []).append(term)
    return {concept: tuple(terms) for concept, terms in table.items()}


# concept -> words, stems and phrases, in the table's order.
CONCEPTS: dict[str, tuple[str, ...]] = _concepts()


@cache
def _index() -> tuple[dict[str, list[tuple[tuple[str, ...], str, bool]]], tuple[int, ...]]:
    """First word (or stem) of every term -> (words, concept, exact) of the terms that start with it; and the
    stem lengths to try."""
    index: dict[str, list[tuple[tuple[str, ...], str, bool]]] = {}
    for concept, term, exact in _rows():
        words = tuple(_WORD.findall(term.lower()))
        index.setdefault(words[0], []).append((words, concept, exact))
    return index, tuple(sorted({len(k) for k in index}))


def find(text: str) -> list[tuple[str, int, int]]:
    """Every concept mention in ``text``: (concept, start, end), in order, each (concept, span) once.

    Words are matched by stem (``russ`` finds ``russian``); a multi-word term needs its first word whole and
    the following words by stem. Tokenising once and looking stems up in a dict keeps this ~10x faster than
    one large regular expression, which matters at thousands of items a second.
    """
    index, lengths = _index()
    tokens = [(m.group(), m.start(), m.end()) for m in _WORD.finditer(text.lower())]
    found: dict[tuple[str, int, int], None] = {}
    for i, (word, start, end) in enumerate(tokens):
        for k in lengths:
            if k > len(word):
                break
            for words, concept, exact in index.get(word[:k], ()):
                if len(words) == 1:
                    if k == len(word) or not exact:
                        found[(concept, start, end)] = None
                    continue
                if words[0] != word or i + len(words) > len(tokens):
                    continue
                if all(tokens[i + j][0].startswith(w) for j, w in enumerate(words[1:], 1)):
                    found[(concept, start, tokens[i + len(words) - 1][2])] = None
    return list(found)


def concepts(text: str) -> set[str]:
    return {c for c, _, _ in find(text)}


def is_military(found: set[str]) -> bool:
    return any(c in found for c in _MIL_CONCEPTS)


def is_core(found: set[str]) -> bool:
    """A sentence that, on its own, speaks of DPRK–Russia military matters."""
    russia_side = "RUSSIA" in found or "KURSK" in found or "UKRAINE" in found
    return "DPRK" in found and russia_side and (is_military(found) or "MILITARY" in found)
