"""Features: what the model sees of a (title, body) pair, computed once per document.

Three views, stacked side by side:
- character n-grams of the cleaned text (works in every script, tolerant of inflection and typos);
- words plus lexicon concepts, so "КНДР" and "Corea del Nord" share the feature ``c_dprk``;
- sentence-level evidence: is the topic in the title or the lead, in how many sentences, only at the end?
  The labeling rules depend on where the topic sits, and a bag of words cannot see that.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.feature_extraction.text import TfidfVectorizer

from classifier import lexicon
from classifier.clean import Document, clean

EVIDENCE = (
    "title_dprk",
    "title_russia",
    "title_military",
    "title_core",
    "title_civil",
    "title_third",
    "lead_core",
    "lead_dprk_russia",
    "core_sentences",
    "core_share",
    "core_only_at_end",
    "dprk_russia_sentences",
    "dprk_mentions",
    "russia_mentions",
    "no_dprk",
    "no_russia",
    "sentences",
    "title_dprk_russia_civil",
    "single_core_not_in_title",
    "first_core_position",
    "core_outside_last",
    "dprk_share",
    "military_sentences",
)


@dataclass(frozen=True)
class Analysis:
    """One document as the features see it."""

    document: Document
    chars: str
    words: str
    evidence: tuple[float, ...]
    sentence_concepts: tuple[frozenset[str], ...] = ()
    title_concepts: frozenset[str] = frozenset()


def _russia_side(found: set[str]) -> bool:
    return "RUSSIA" in found or "KURSK" in found


def analyse(title: str, body: str, max_chars: int = 4000) -> Analysis:
    """Clean the text and compute the inputs of every feature view."""
    doc = clean(title, body)
    title_found = lexicon.concepts(doc.title)
    per_sentence = [lexicon.concepts(s) for s in doc.sentences]
    core = [lexicon.is_core(f) for f in per_sentence]
    n = len(doc.sentences)
    n_core = sum(core)
    title_core = lexicon.is_core(title_found) or ("DPRK" in title_found and _russia_side(title_found))
    lead = per_sentence[:2]
    lead_core = any(core[:2])
    tail_only = n_core > 0 and not title_core and not lead_core and all(not c for c in core[:-2]) and n > 3
    dprk_russia = sum(1 for f in per_sentence if "DPRK" in f and _russia_side(f))
    all_found = title_found.union(*per_sentence) if per_sentence else title_found
    dprk_mentions = sum(1 for f in [title_found, *per_sentence] if "DPRK" in f)
    russia_mentions = sum(1 for f in [title_found, *per_sentence] if _russia_side(f))
    evidence = (
        float("DPRK" in title_found),
        float(_russia_side(title_found)),
        float(lexicon.is_military(title_found) or "MILITARY" in title_found),
        float(title_core),
        float("CIVIL" in title_found),
        float("THIRD" in title_found),
        float(lead_core),
        float(any("DPRK" in f and _russia_side(f) for f in lead)),
        math.log1p(n_core),
        n_core / n if n else 0.0,
        float(tail_only),
        math.log1p(dprk_russia),
        math.log1p(dprk_mentions),
        math.log1p(russia_mentions),
        float("DPRK" not in all_found),
        float(not _russia_side(all_found)),
        math.log1p(n) / 4,
        float("DPRK" in title_found and _russia_side(title_found) and not lexicon.is_military(title_found)),
        float(n_core == 1 and not title_core),
        (core.index(True) / n) if n_core else 1.0,
        math.log1p(sum(core[:-1])),
        dprk_mentions / (n + 1),
        math.log1p(sum(1 for f in per_sentence if lexicon.is_military(f))),
    )
    tokens = [f"t_{c.lower()}" for c in sorted(title_found)]
    if title_core:
        tokens.append("t_core")
    for i, (found, is_core) in enumerate(zip(per_sentence, core, strict=True)):
        tokens.extend(f"c_{c.lower()}" for c in sorted(found))
        if is_core:
            tokens.append("s_core_lead" if i < 2 else "s_core")
    body = doc.body
    chars = f"{doc.title} | {body}"[:max_chars].lower()
    words = f"{doc.title} {body[:max_chars]} {' '.join(tokens)}"
    return Analysis(doc, chars, words, evidence, tuple(frozenset(f) for f in per_sentence), frozenset(title_found))


class TiesFeatures(TransformerMixin, BaseEstimator):
    """(title, body) pairs -> one sparse matrix: char n-grams | words and concepts | evidence.

    Parameters follow scikit-learn's conventions: set in the constructor, learned state ends in ``_``.
    """

    def __init__(
        self,
        char_ngram_range: tuple[int, int] = (2, 4),
        char_max_features: int = 60000,
        word_ngram_range: tuple[int, int] = (1, 2),
        word_max_features: int = 40000,
        evidence_weight: float = 1.0,
        max_chars: int = 4000,
    ):
        self.char_ngram_range = char_ngram_range
        self.char_max_features = char_max_features
        self.word_ngram_range = word_ngram_range
        self.word_max_features = word_max_features
        self.evidence_weight = evidence_weight
        self.max_chars = max_chars

    def _analyse(self, X: Sequence[tuple[str, str]]) -> list[Analysis]:
        return [analyse(title, body, self.max_chars) for title, body in X]

    def fit(self, X: Sequence[tuple[str, str]], y: Sequence[int] | None = None) -> TiesFeatures:
        self.fit_transform(X, y)
        return self

    def fit_transform(self, X: Sequence[tuple[str, str]], y: Sequence[int] | None = None, **_: object) -> sp.csr_matrix:
        analyses = self._analyse(X)
        self.chars_ = TfidfVectorizer(
            analyzer="char_wb",
            ngram_range=self.char_ngram_range,
            min_df=2,
            sublinear_tf=True,
            max_features=self.char_max_features,
            dtype=np.float32,
        )
        self.words_ = TfidfVectorizer(
            analyzer="word",
            ngram_range=self.word_ngram_range,
            min_df=2,
            sublinear_tf=True,
            lowercase=True,
            token_pattern=r"(?u)\b\w+\b",  # noqa: S106 - a regex, not a password
            max_features=self.word_max_features,
            dtype=np.float32,
        )
        c = self.chars_.fit_transform([a.chars for a in analyses])
        w = self.words_.fit_transform([a.words for a in analyses])
        # The pruned terms are only for introspection and would make the model file ~100 MB.
        self.chars_.stop_words_ = None
        self.words_.stop_words_ = None
        return self._stack(c, w, analyses)

    def transform(self, X: Sequence[tuple[str, str]]) -> sp.csr_matrix:
        return self.transform_analysed(self._analyse(X))

    def transform_analysed(self, analyses: Sequence[Analysis]) -> sp.csr_matrix:
        c = self.chars_.transform([a.chars for a in analyses])
        w = self.words_.transform([a.words for a in analyses])
        return self._stack(c, w, analyses)

    def _stack(self, c: sp.spmatrix, w: sp.spmatrix, analyses: Sequence[Analysis]) -> sp.csr_matrix:
        e = sp.csr_matrix(np.array([a.evidence for a in analyses], dtype=np.float32) * self.evidence_weight)
        return sp.hstack([c, w, e], format="csr")

    # A fitted vocabulary is a dict of ~100k terms; skops would write every entry as a node of its own
    # (a ~100 MB file that loads in seconds). It travels as one newline-joined string instead.
    def __getstate__(self) -> dict:
        state = dict(super().__getstate__())  # a copy: object.__getstate__ returns the live __dict__
        for name in ("chars_", "words_"):
            vectorizer = state.get(name)
            if vectorizer is not None and getattr(vectorizer, "vocabulary_", None) is not None:
                terms = sorted(vectorizer.vocabulary_, key=vectorizer.vocabulary_.__getitem__)
                slim = copy.copy(vectorizer)
                del slim.vocabulary_
                state[name] = slim
                state[f"{name}terms"] = "\n".join(terms)
        return state

    def __setstate__(self, state: dict) -> None:
        for name in ("chars_", "words_"):
            terms = state.pop(f"{name}terms", None)
            if terms is not None:
                state[name].vocabulary_ = {t: i for i, t in enumerate(terms.split("\n"))}
        super().__setstate__(state)

    def get_feature_names_out(self, input_features: object = None) -> np.ndarray:
        return np.concatenate(
            [
                np.array([f"char:{n}" for n in self.chars_.get_feature_names_out()], dtype=object),
                np.array([f"word:{n}" for n in self.words_.get_feature_names_out()], dtype=object),
                np.array([f"evidence:{n}" for n in EVIDENCE], dtype=object),
            ]
        )
