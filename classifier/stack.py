"""Stack: the lexical model and the semantic (sentence-embedding) model, combined on out-of-fold scores.

Word and character n-grams cannot tell "who did what to whom"; sentence embeddings can, but they are
slower and weaker on their own. So the lexical model scores everything, and only a text that could be
about DPRK and Russia (its lexical score above ``gate``, or the lexicon finding both) is embedded; there a
logistic regression combines the two scores. It learned its weights on out-of-fold scores of both models
(grouped folds), and it keeps more of the lexical weight for Ukrainian, a language the encoder was not
trained on (measured: see the model card).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedGroupKFold
from sklearn.pipeline import Pipeline

from classifier import lexicon
from classifier.clean import Document, clean
from classifier.embed import SentenceEmbedding

_UKRAINIAN = re.compile("[іїєґІЇЄҐ]")  # letters Ukrainian has and Russian does not
_RUSSIA_SIDE = frozenset({"RUSSIA", "KURSK", "UKRAINE"})


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-4, 1 - 1e-4)
    return np.log(p / (1 - p))


def concepts_of(document: Document) -> set[str]:
    """Every concept the lexicon finds in the title and the sentences."""
    return lexicon.concepts(document.title).union(*(lexicon.concepts(s) for s in document.sentences))


def could_be_about_both(found: set[str] | frozenset[str]) -> bool:
    """The lexicon found North Korea and Russia (or its war) somewhere in the text."""
    return "DPRK" in found and bool(found & _RUSSIA_SIDE)


class StackedClassifier(ClassifierMixin, BaseEstimator):
    """(title, body) pairs → calibrated probability, from a lexical pipeline and a semantic one.

    lexical: the lexical pipeline (features, then a calibrated classifier exposing ``oof_proba_``).
    embedding: the sentence-embedding transformer.
    C_semantic: inverse regularisation of the logistic regression on embeddings.
    gate: lexical score from which a text is embedded even when the lexicon does not find both countries.
    cv, random_state: the grouped folds for the out-of-fold scores.
    """

    def __init__(
        self,
        lexical: Pipeline | None = None,
        embedding: SentenceEmbedding | None = None,
        C_semantic: float = 2.0,
        gate: float = 0.02,
        cv: int = 5,
        random_state: int = 0,
    ):
        self.lexical = lexical
        self.embedding = embedding
        self.C_semantic = C_semantic
        self.gate = gate
        self.cv = cv
        self.random_state = random_state

    # ------------------------------------------------------------ fitting

    def _semantic(self) -> LogisticRegression:
        return LogisticRegression(C=self.C_semantic, class_weight="balanced", max_iter=3000)

    def _oof(self, make: type | object, X: np.ndarray, y: np.ndarray, groups: np.ndarray) -> np.ndarray:
        splitter = StratifiedGroupKFold(n_splits=self.cv, shuffle=True, random_state=self.random_state)
        oof = np.zeros(len(y))
        for train_idx, test_idx in splitter.split(X, y, groups):
            oof[test_idx] = make().fit(X[train_idx], y[train_idx]).predict_proba(X[test_idx])[:, 1]
        return oof

    def fit(self, X: Sequence[tuple[str, str]], y: Sequence[int], groups: Sequence[str] | None = None):
        X, y = list(X), np.asarray(y)
        groups = np.arange(len(y)) if groups is None else np.asarray(groups)
        self.lexical_ = clone(self.lexical).fit(X, y, classifier__groups=groups)
        lexical_oof = self.lexical_.named_steps["classifier"].oof_proba_
        documents = [clean(title, body) for title, body in X]
        gated = self._gated(lexical_oof, documents)
        idx = np.flatnonzero(gated)
        vectors = self.embedding.transform_documents([documents[i] for i in idx])
        semantic_oof = self._oof(self._semantic, vectors, y[idx], groups[idx])
        self.semantic_ = self._semantic().fit(vectors, y[idx])
        meta = self._meta_features(lexical_oof[idx], semantic_oof, [documents[i] for i in idx])
        meta_oof = self._oof(LogisticRegression, meta, y[idx], groups[idx])
        self.meta_ = LogisticRegression().fit(meta, y[idx])
        oof = lexical_oof.copy()
        oof[idx] = meta_oof
        self.oof_proba_ = oof
        self.family_oof_ = {"lexical": lexical_oof, "semantic": semantic_oof, "gated": gated}
        self.classes_ = np.array([0, 1])
        return self

    # ------------------------------------------------------------ scoring

    def _gated(
        self, lexical: np.ndarray, documents: Sequence[Document], found: Sequence[set[str]] | None = None
    ) -> np.ndarray:
        """Which texts are embedded: a lexical score at the gate, or the lexicon finding both countries."""
        if found is None:
            found = [concepts_of(d) if p < self.gate else set() for p, d in zip(lexical, documents, strict=True)]
        return np.array([p >= self.gate or could_be_about_both(f) for p, f in zip(lexical, found, strict=True)])

    @staticmethod
    def _meta_features(lexical: np.ndarray, semantic: np.ndarray, documents: Sequence[Document]) -> np.ndarray:
        ukrainian = np.array([float(bool(_UKRAINIAN.search(f"{d.title} {d.body}"))) for d in documents])
        s = _logit(semantic)
        return np.column_stack([_logit(lexical), s, s * ukrainian])

    def combine(
        self, lexical: np.ndarray, documents: Sequence[Document], found: Sequence[set[str]] | None = None
    ) -> np.ndarray:
        """Final scores from the lexical scores: gated texts are embedded and stacked, the rest keep theirs.

        ``found``: each text's concepts, when the caller has them (the scorer does), so they are not looked
        up twice."""
        scores = np.asarray(lexical, dtype=float).copy()
        idx = np.flatnonzero(self._gated(scores, documents, found))
        if len(idx):
            picked = [documents[i] for i in idx]
            semantic = self.semantic_.predict_proba(self.embedding.transform_documents(picked))[:, 1]
            scores[idx] = self.meta_.predict_proba(self._meta_features(scores[idx], semantic, picked))[:, 1]
        return scores

    def predict_proba(self, X: Sequence[tuple[str, str]]) -> np.ndarray:
        X = list(X)
        lexical = self.lexical_.predict_proba(X)[:, 1]
        p = self.combine(lexical, [clean(title, body) for title, body in X])
        return np.column_stack([1 - p, p])

    def predict(self, X: Sequence[tuple[str, str]]) -> np.ndarray:
        return (self.predict_proba(X)[:, 1] >= 0.5).astype(int)

    def family_scores(self, X: Sequence[tuple[str, str]]) -> dict[str, np.ndarray]:
        """Each family's own score for every text (the semantic model embeds them all), and the stack's."""
        X = list(X)
        documents = [clean(title, body) for title, body in X]
        lexical = self.lexical_.predict_proba(X)[:, 1]
        semantic = self.semantic_.predict_proba(self.embedding.transform_documents(documents))[:, 1]
        return {"lexical": lexical, "semantic": semantic, "stack": self.combine(lexical, documents)}
