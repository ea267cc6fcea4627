"""Why: the reasons for a score as a reader would name them — the words of the text itself that pushed it
up ("North Korean troops · Kursk · artillery shells"), never internal feature names, never twice.

The model ranks its features by how much each raised this text's score; each one a reader can understand
(a topic concept, a topic word) is then found in the title or the sentences and quoted as written there,
joined with a neighbouring name ("North Korean" + "troops"). Evidence features ("DPRK–Russia military
in title") only speak when no word of the text can.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from classifier import lexicon
from classifier.lexicon import NAMES

_EVIDENCE = {
    "t_core": "North Korea and Russia, military, in the title",
    "title_core": "North Korea and Russia, military, in the title",
    "s_core": "a sentence on North Korea–Russia military ties",
    "s_core_lead": "a lead on North Korea–Russia military ties",
    "lead_core": "a lead on North Korea–Russia military ties",
    "core_sentences": "sentences on North Korea–Russia military ties",
    "dprk_russia_sentences": "North Korea and Russia together",
}
_ACTORS = {"DPRK", "RUSSIA"}  # names that read as part of the next term ("North Korean troops")


def explainable(kind: str, name: str) -> bool:
    """Whether a feature can become a reason: a concept, a topic word, or a piece of evidence."""
    if kind == "evidence" or name in _EVIDENCE:
        return name in _EVIDENCE
    if kind != "word" or " " in name:
        return False
    if name.startswith(("c_", "t_")) and name[2:].upper() in NAMES:
        return True
    return len(name) >= 4 and bool(lexicon.concepts(name))


def _quote(concept: str | None, word: str | None, texts: Sequence[str]) -> str | None:
    """The concept (or the word) as it is written in the first text that has it."""
    for text in texts:
        if word is not None:
            i = text.lower().find(word)
            if i >= 0:
                end = i + len(word)
                while end < len(text) and text[end].isalnum():
                    end += 1
                return text[i:end]
            continue
        found = lexicon.find(text)
        for k, (c, s, e) in enumerate(found):
            if c != concept:
                continue
            before = [(s0, e0) for c0, s0, e0 in found[:k] if c0 in _ACTORS and c0 != c and 0 <= s - e0 <= 1]
            if before:
                s = before[-1][0]
            return text[s:e]
    return None


def reasons(ranked: Iterable[tuple[str, str]], title: str, sentences: Sequence[str], top: int = 4) -> tuple[str, ...]:
    """The first ``top`` distinct reasons from features ranked by their push on the score."""
    out: list[str] = []
    evidence: list[str] = []

    def add(reason: str) -> None:
        low = reason.lower()
        if not any(low in r.lower() or r.lower() in low for r in out):
            out.append(reason)

    for _kind, name in ranked:
        if name in _EVIDENCE:
            evidence.append(_EVIDENCE[name])
            continue
        if name.startswith(("c_", "t_")):
            texts = [title, *sentences] if name.startswith("t_") else [*sentences, title]
            quoted = _quote(name[2:].upper(), None, texts)
        else:
            quoted = _quote(None, name, [title, *sentences])
        if quoted:
            add(quoted)
        if len(out) >= top:
            break
    if not out:
        for reason in evidence[:1]:
            out.append(reason)
    return tuple(out)
