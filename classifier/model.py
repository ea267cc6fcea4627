"""The model: a named scikit-learn Pipeline (features -> calibrated logistic regression), its threshold,
and the card it travels with. Files are written with skops, never pickle.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import skops.io as sio
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedGroupKFold
from sklearn.pipeline import Pipeline

from bot.errors import UntrustedModel
from classifier.embed import SentenceEmbedding
from classifier.excerpt import Excerpt, excerpt
from classifier.features import TiesFeatures, analyse
from classifier.stack import StackedClassifier
from classifier.why import explainable, reasons

SENSITIVITIES = ("strict", "normal", "broad")


@dataclass(frozen=True)
class Prediction:
    """The classifier's verdict on one text.

    score: calibrated probability (0 to 1) that the text is about DPRK–Russia military ties.
    relevant: score at or above the threshold in use.
    why: the few terms that drove the score up, most decisive first.
    excerpt: at most 280 characters of the text's own sentences, decisive terms marked.
    """

    score: float
    relevant: bool
    why: tuple[str, ...]
    excerpt: Excerpt


class CalibratedLogistic(ClassifierMixin, BaseEstimator):
    """Logistic regression whose probabilities are calibrated (Platt) on out-of-fold scores.

    Unlike ``CalibratedClassifierCV`` it keeps the folds grouped (a page and its flattened copy never sit on
    both sides of a split) and keeps the out-of-fold probabilities, from which the threshold is chosen.
    """

    def __init__(self, C: float = 4.0, cv: int = 5, random_state: int = 0):
        self.C = C
        self.cv = cv
        self.random_state = random_state

    def _logistic(self) -> LogisticRegression:
        return LogisticRegression(
            C=self.C, class_weight="balanced", solver="liblinear", max_iter=2000, random_state=self.random_state
        )

    def fit(self, X: object, y: Sequence[int], groups: Sequence[str] | None = None) -> CalibratedLogistic:
        y = np.asarray(y)
        groups = np.arange(len(y)) if groups is None else np.asarray(groups)
        splitter = StratifiedGroupKFold(n_splits=self.cv, shuffle=True, random_state=self.random_state)
        oof = np.zeros(len(y))
        for train_idx, test_idx in splitter.split(X, y, groups):
            oof[test_idx] = self._logistic().fit(X[train_idx], y[train_idx]).decision_function(X[test_idx])
        self.platt_ = LogisticRegression(C=1e4).fit(oof.reshape(-1, 1), y)
        self.oof_proba_ = self.platt_.predict_proba(oof.reshape(-1, 1))[:, 1]
        self.logistic_ = self._logistic().fit(X, y)
        self.classes_ = self.logistic_.classes_
        self.coef_ = self.logistic_.coef_
        return self

    def decision_function(self, X: object) -> np.ndarray:
        return self.logistic_.decision_function(X)

    def predict_proba(self, X: object) -> np.ndarray:
        p = self.platt_.predict_proba(self.decision_function(X).reshape(-1, 1))[:, 1]
        return np.column_stack([1 - p, p])

    def predict(self, X: object) -> np.ndarray:
        return (self.predict_proba(X)[:, 1] >= 0.5).astype(int)


def make_pipeline(C: float = 4.0, random_state: int = 0, **feature_params: object) -> Pipeline:
    """The untrained lexical pipeline: features, then calibrated logistic regression."""
    return Pipeline(
        [
            ("features", TiesFeatures(**feature_params)),
            ("classifier", CalibratedLogistic(C=C, cv=5, random_state=random_state)),
        ]
    )


def make_stacked_pipeline(C: float = 4.0, random_state: int = 0) -> Pipeline:
    """The untrained two-family pipeline: the lexical pipeline and sentence embeddings, stacked."""
    stack = StackedClassifier(lexical=make_pipeline(C, random_state), embedding=SentenceEmbedding())
    return Pipeline([("classifier", stack)])


class TiesModel:
    """A trained pipeline with its card. ``predict`` is what the rest of the product calls."""

    def __init__(self, pipeline: Pipeline, card: dict):
        self.pipeline = pipeline
        self.card = card
        self._explainer: tuple[np.ndarray, np.ndarray] | None = None

    @property
    def version(self) -> str:
        return self.card["version"]

    @property
    def threshold(self) -> float:
        return float(self.card["threshold"])

    def threshold_for(self, sensitivity: str) -> float:
        return float(self.card.get("thresholds", {}).get(sensitivity, self.threshold))

    # ------------------------------------------------------------ scoring

    @property
    def stack(self) -> StackedClassifier | None:
        """The stacking step of a two-family model; None for a lexical-only model (older versions)."""
        step = self.pipeline.named_steps["classifier"]
        return step if isinstance(step, StackedClassifier) else None

    @property
    def lexical(self) -> Pipeline:
        """The lexical pipeline: it scores everything, and explains (why, excerpt) every verdict."""
        return self.stack.lexical_ if self.stack is not None else self.pipeline

    def predict_proba(self, X: Sequence[tuple[str, str]]) -> np.ndarray:
        return self.pipeline.predict_proba(list(X))[:, 1]

    def family_scores(self, X: Sequence[tuple[str, str]]) -> dict[str, np.ndarray]:
        """Each feature family's own score and the final one (only the final one for a lexical model)."""
        if self.stack is None:
            return {"lexical": self.predict_proba(X)}
        return self.stack.family_scores(X)

    def predict(
        self, X: Sequence[tuple[str, str]], threshold: float | None = None, explain: bool = True
    ) -> list[Prediction]:
        """Score (title, body) pairs; each prediction carries why and an excerpt."""
        threshold = self.threshold if threshold is None else threshold
        features: TiesFeatures = self.lexical.named_steps["features"]
        analyses = [analyse(title, body, features.max_chars) for title, body in X]
        if not analyses:
            return []
        matrix = features.transform_analysed(analyses)
        scores = self.lexical.named_steps["classifier"].predict_proba(matrix)[:, 1]
        if self.stack is not None:
            found = [a.title_concepts.union(*a.sentence_concepts) for a in analyses]
            scores = self.stack.combine(scores, [a.document for a in analyses], found)
        matrix = matrix.tocsr()
        out = []
        for i, a in enumerate(analyses):
            why = self._why(matrix, i, a) if explain else ()
            terms = list(why)
            out.append(
                Prediction(
                    float(scores[i]),
                    bool(scores[i] >= threshold),
                    why,
                    excerpt(a.document, terms, concepts=a.sentence_concepts),
                )
            )
        return out

    def _why(self, matrix: object, row: int, analysis: object, top: int = 4) -> tuple[str, ...]:
        """The reasons a reader would give, from the features that pushed this row's score up the most."""
        if self._explainer is None:
            coef = self.lexical.named_steps["classifier"].coef_[0]
            names = [
                tuple(str(n).partition(":")[::2]) for n in self.lexical.named_steps["features"].get_feature_names_out()
            ]
            # Only features that can become a reason, and only those that can raise a score, are worth a look.
            useful = np.array([explainable(*n) and c > 0 for n, c in zip(names, coef, strict=True)])
            self._explainer = (coef, useful, names)
        coef, useful, names = self._explainer
        start, end = matrix.indptr[row], matrix.indptr[row + 1]
        indices = matrix.indices[start:end]
        keep = useful[indices]
        indices, values = indices[keep], matrix.data[start:end][keep]
        ranked = (names[indices[j]] for j in np.argsort(-(values * coef[indices])))
        return reasons(ranked, analysis.document.title, analysis.document.sentences, top)

    # ------------------------------------------------------------ files

    def save(self, directory: Path) -> Path:
        """Write ``model-<version>.skops`` and its card ``model-<version>.json``; return the model path."""
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / f"model-{self.version}.skops"
        sio.dump(self.pipeline, path)
        card = dict(self.card, file=path.name, size_bytes=path.stat().st_size)
        self.card = card
        (directory / f"model-{self.version}.json").write_text(json.dumps(card, indent=2, ensure_ascii=False))
        return path

    @classmethod
    def load(cls, path: Path) -> TiesModel:
        """Load a model file and its card, trusting only the types a tieswatch model is made of."""
        untrusted = set(sio.get_untrusted_types(file=path))
        unexpected = untrusted - TRUSTED_TYPES
        if unexpected:
            raise UntrustedModel(f"{path.name} holds types a tieswatch model never contains: {sorted(unexpected)}")
        pipeline = sio.load(path, trusted=sorted(untrusted))
        card = json.loads(path.with_suffix(".json").read_text())
        return cls(pipeline, card)


TRUSTED_TYPES = {
    "classifier.features.TiesFeatures",
    "classifier.model.CalibratedLogistic",
    "classifier.stack.StackedClassifier",
    "classifier.embed.SentenceEmbedding",
    "numpy.float32",
    "numpy.dtype",
    "sklearn.calibration._CalibratedClassifier",
    "sklearn.calibration._SigmoidCalibration",
    "builtins.slice",
}
