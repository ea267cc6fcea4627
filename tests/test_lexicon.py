"""The lexicon maps names in every script onto shared concepts."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from classifier import lexicon
from classifier.lexicon import NAMES, LexiconError, concepts, is_core


@pytest.mark.parametrize(
    "text",
    [
        "North Korea",
        "Corea del Nord",
        "КНДР",
        "Північна Корея",
        "북한",
        "Pyongyang",
        "KPA",
        "Nordkorea",
        "Corée du Nord",
        "Korea Północna",
        "Corea del Norte",
        "Пхеньян",
        "北",
    ],
)
def test_names_of_north_korea(text):
    assert "DPRK" in concepts(text)


@pytest.mark.parametrize("text", ["Russia", "Mosca", "Кремль", "러시아", "Moskau", "Rosja", "Росія", "Kremlin"])
def test_names_of_russia(text):
    assert "RUSSIA" in concepts(text)


def test_weapons_and_units():
    assert {"MUNITIONS"} <= concepts("KN-23 missiles and 170mm Koksan guns")
    assert "TROOPS" in concepts("파병") and "KURSK" in concepts("쿠르스크") and "TREATY" in concepts("trattato")


def test_short_stems_do_not_swallow_other_words():
    assert concepts("a warning in Warsaw") == set()


def test_core_needs_both_sides_and_a_military_term():
    assert is_core(concepts("North Korean troops reach Kursk"))
    assert not is_core(concepts("Russian tourists visit North Korea"))


# The term table, lexicon.tsv: data that linguists edit, checked here so a slip shows up in review.

TABLE = Path(lexicon.__file__).parent / "lexicon.tsv"

# Terms listed under two concepts on purpose. The Korean compounds name both sides ("North Korea–Russia");
# the Shahed is Iran's drone, so drone technology and a third country. "armi" (Italian: weapons) also sits with
# the army words under MILITARY; moving it would change the features the model was trained on.
TWO_CONCEPTS = {
    "북·러": {"DPRK", "RUSSIA"},
    "북-러": {"DPRK", "RUSSIA"},
    "북러": {"DPRK", "RUSSIA"},
    "shahed": {"TECH", "THIRD"},
    "шахед": {"TECH", "THIRD"},
    "armi": {"MUNITIONS", "MILITARY"},
}


def _rows() -> list[tuple[int, list[str]]]:
    """(line number, columns) of every row, read without the module's loader."""
    lines = [(n, line) for n, line in enumerate(TABLE.read_text(encoding="utf-8").split("\n"), 1)]
    lines = [(n, line) for n, line in lines if line.strip() and not line.startswith("#")]
    assert lines[0][1] == "concept\tterm\texact"
    return [(n, line.split("\t")) for n, line in lines[1:]]


def _exact_words() -> list[tuple[str, str]]:
    return [(concept, term) for _, (concept, term, exact) in _rows() if exact == "yes"]


def test_every_row_has_a_known_concept_a_term_and_a_yes_or_no_exact_flag():
    rows = _rows()
    for n, columns in rows:
        assert len(columns) == 3, f"lexicon.tsv line {n}: {columns}"
        concept, term, exact = columns
        assert concept in NAMES, f"lexicon.tsv line {n}: unknown concept {concept!r}"
        assert term == " ".join(term.split()) and re.search(r"\w", term), f"lexicon.tsv line {n}: {term!r}"
        assert exact in ("yes", "no"), f"lexicon.tsv line {n}: {exact!r}"
        assert exact == "no" or len(re.findall(r"\w+", term)) == 1, f"lexicon.tsv line {n}: {term!r} is not one word"
    assert {concept for _, (concept, _, _) in rows} == set(NAMES)
    assert sum(len(terms) for terms in lexicon.CONCEPTS.values()) == len(rows)


def test_no_term_is_listed_twice():
    rows_of: dict[str, list[tuple[str, int]]] = {}
    for n, (concept, term, _) in _rows():
        rows_of.setdefault(" ".join(term.lower().split()), []).append((concept, n))
    twice = {term: rows for term, rows in rows_of.items() if len({c for c, _ in rows}) < len(rows)}
    assert not twice, f"listed twice under one concept (term: [(concept, line)]): {twice}"
    shared = {term: {c for c, _ in rows} for term, rows in rows_of.items() if len(rows) > 1}
    assert shared == TWO_CONCEPTS


@pytest.mark.parametrize(
    ("text", "concept"),
    [
        ("a warning in Warsaw", "MILITARY"),
        ("Kimchi exports rise", "DPRK"),
        ("training ground", "CIVIL"),
        ("frontier towns", "MILITARY"),
        ("mostly sunny", "CIVIL"),
        ("lottery winner", "CIVIL"),
        ("Armstrong", "MUNITIONS"),
        ("a spacious flat", "TECH"),
        ("Chinatown", "THIRD"),
        ("volontari", "CIVIL"),
    ],
)
def test_short_words_do_not_match_inside_longer_words(text, concept):
    assert concept not in concepts(text)


@pytest.mark.parametrize(
    ("text", "concept"),
    [
        ("the war in Ukraine", "MILITARY"),
        ("war-torn Donbas", "MILITARY"),
        ("Kim meets Putin", "DPRK"),
        ("KIM'S VISIT", "DPRK"),
        ("oil for arms", "TECH"),
        ("oil for arms", "MUNITIONS"),
        ("a train to Moscow", "CIVIL"),
        ("Iran, China and Belarus", "THIRD"),
        ("пакт и РФ", "RUSSIA"),
    ],
)
def test_short_words_match_as_words(text, concept):
    assert concept in concepts(text)


def test_every_exact_word_in_the_table_matches_as_a_word_only():
    for concept, word in _exact_words():
        assert concept in concepts(f"«{word.upper()}»"), word
        assert concept not in concepts(f"{word}zzz"), word


def test_other_single_words_match_as_stems():
    for n, (concept, term, exact) in _rows():
        if exact == "no" and len(re.findall(r"\w+", term)) == 1:
            assert concept in concepts(f"{term}zzz"), f"lexicon.tsv line {n}: {term!r}"


def test_compounds_keep_both_concepts():
    assert {"DPRK", "TROOPS"} <= concepts("북한군 병력")
    assert {"DPRK", "RUSSIA"} <= concepts("북러 조약")
    assert {"TECH", "THIRD"} <= concepts("Shahed drones")


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("DPRK\tnorth korea", "expected 3 tab-separated columns"),
        ("DPRK\tnorth korea\tno\textra", "expected 3 tab-separated columns"),
        ("DPRKK\tnorth korea\tno", "unknown concept 'DPRKK'"),
        ("DPRK\tnorth korea\tYes", "exact must be 'yes' or 'no'"),
        ("DPRK\tnorth korea\tyes", "only a single-word term can be exact"),
        ("DPRK\tvol \tno", "stray"),
        ("DPRK\t\tno", "no word"),
    ],
)
def test_a_malformed_row_fails_loudly_naming_its_line(tmp_path, row, message):
    table = tmp_path / "lexicon.tsv"
    table.write_text(f"# a comment\nconcept\tterm\texact\nDPRK\tdprk\tno\n{row}\n", encoding="utf-8")
    with pytest.raises(LexiconError, match=rf"^lexicon\.tsv line 4: .*{re.escape(message)}"):
        lexicon._rows(table)


def test_a_table_without_its_header_fails_loudly(tmp_path):
    table = tmp_path / "lexicon.tsv"
    table.write_text("DPRK\tdprk\tno\n", encoding="utf-8")
    with pytest.raises(LexiconError, match=r"^lexicon\.tsv line 1: expected the header"):
        lexicon._rows(table)


def test_the_table_ships_with_the_package():
    package_data = tomllib.loads((Path(__file__).parent.parent / "pyproject.toml").read_text())["tool"]["setuptools"]
    assert "lexicon.tsv" in package_data["package-data"]["classifier"]
