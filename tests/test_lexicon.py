"""The lexicon maps names in every script onto shared concepts."""

from __future__ import annotations

import pytest

from classifier.lexicon import concepts, is_core


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
