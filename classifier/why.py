"""Why: the model's strongest features, said the way a reader would say them ("Kursk", "North Korea in
title"), or nothing for features that explain nothing (character n-grams, function words)."""

from __future__ import annotations

from classifier import lexicon
from classifier.lexicon import NAMES

_READABLE = {
    "t_dprk": "North Korea in title",
    "t_russia": "Russia in title",
    "t_kursk": "Kursk in title",
    "t_core": "DPRK–Russia military in title",
    "s_core": "DPRK–Russia military sentence",
    "s_core_lead": "DPRK–Russia military lead",
    "title_core": "DPRK–Russia military in title",
    "lead_core": "DPRK–Russia military lead",
    "core_sentences": "DPRK–Russia military sentences",
    "dprk_russia_sentences": "North Korea and Russia together",
}


def plain_reason(kind: str, name: str) -> str | None:
    """A feature as a reader would say it, or None for features that explain nothing (character n-grams,
    function words, pairs of concept tokens)."""
    if kind == "evidence":
        return _READABLE.get(name)
    if kind != "word" or " " in name:
        return None
    if name in _READABLE:
        return _READABLE[name]
    if name.startswith(("c_", "t_")) and name[2:].upper() in NAMES:
        concept = NAMES[name[2:].upper()]
        return f"{concept} in title" if name.startswith("t_") else concept
    # A plain word explains the score only when it is one of the topic's own terms.
    if len(name) >= 4 and lexicon.concepts(name):
        return name
    return None
