"""The model: a named scikit-learn Pipeline (features -> calibrated logistic regression), its threshold,
and the card it travels with. Files are written with skops, never pickle.
"""

from __future__ import annotations

import json
import platform
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import sklearn
import skops
import skops.io as sio
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import precision_recall_curve
from sklearn.model_selection import StratifiedGroupKFold
from sklearn.pipeline import Pipeline

from bot.errors import UntrustedModel
from classifier.corpus import Example, fingerprint
from classifier.excerpt import Excerpt, excerpt
from classifier.features import TiesFeatures, analyse
from classifier.why import plain_reason

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
    """The untrained pipeline: features, then calibrated logistic regression."""
    return Pipeline(
        [
            ("features", TiesFeatures(**feature_params)),
            ("classifier", CalibratedLogistic(C=C, cv=5, random_state=random_state)),
        ]
    )


def _expand(examples: Sequence[Example]) -> tuple[list[tuple[str, str]], list[int], list[str]]:
    """Training rows: page-like bodies are also given flattened to one line, as many scrapers deliver them."""
    X, y, groups = [], [], []
    for e in examples:
        X.append((e.title, e.body))
        y.append(e.label)
        groups.append(e.id)
        if "\n" in e.body:
            X.append((e.title, " ".join(e.body.split())))
            y.append(e.label)
            groups.append(e.id)
    return X, y, groups


def choose_thresholds(y: np.ndarray, p: np.ndarray, min_precision: float = 0.95) -> dict[str, float]:
    """Thresholds for each sensitivity from held-out probabilities.

    normal: best F1 among thresholds with precision >= ``min_precision`` (best F1 overall if none reaches it);
    strict: the lowest threshold with precision >= 0.98, never below normal;
    broad: the highest threshold keeping recall >= 0.97, never above normal.
    """
    precision, recall, thresholds = precision_recall_curve(y, p)
    precision, recall = precision[:-1], recall[:-1]
    f1 = 2 * precision * recall / np.maximum(precision + recall, 1e-9)
    ok = precision >= min_precision
    normal = float(thresholds[np.argmax(np.where(ok, f1, -1))] if ok.any() else thresholds[np.argmax(f1)])
    strict_ok = np.where(precision >= 0.98)[0]
    strict = float(thresholds[strict_ok[0]]) if len(strict_ok) else min(0.95, normal + 0.2)
    broad_ok = np.where(recall >= 0.97)[0]
    broad = float(thresholds[broad_ok[-1]]) if len(broad_ok) else max(0.05, normal - 0.2)
    return {"strict": round(max(strict, normal), 4), "normal": round(normal, 4), "broad": round(min(broad, normal), 4)}


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

    def predict_proba(self, X: Sequence[tuple[str, str]]) -> np.ndarray:
        return self.pipeline.predict_proba(list(X))[:, 1]

    def predict(
        self, X: Sequence[tuple[str, str]], threshold: float | None = None, explain: bool = True
    ) -> list[Prediction]:
        """Score (title, body) pairs; each prediction carries why and an excerpt."""
        threshold = self.threshold if threshold is None else threshold
        features: TiesFeatures = self.pipeline.named_steps["features"]
        analyses = [analyse(title, body, features.max_chars) for title, body in X]
        if not analyses:
            return []
        matrix = features.transform_analysed(analyses)
        scores = self.pipeline.named_steps["classifier"].predict_proba(matrix)[:, 1]
        matrix = matrix.tocsr()
        out = []
        for i, a in enumerate(analyses):
            why = self._why(matrix, i) if explain else ()
            terms = [w for w in why if " " not in w]
            out.append(
                Prediction(
                    float(scores[i]),
                    bool(scores[i] >= threshold),
                    why,
                    excerpt(a.document, terms, concepts=a.sentence_concepts),
                )
            )
        return out

    def _why(self, matrix: object, row: int, top: int = 4) -> tuple[str, ...]:
        """The readable features that pushed this row's score up the most."""
        if self._explainer is None:
            coef = self.pipeline.named_steps["classifier"].coef_[0]
            names = self.pipeline.named_steps["features"].get_feature_names_out()
            readable = [plain_reason(*str(n).partition(":")[::2]) for n in names]
            # Only features a reader understands, and only those that can raise a score, are worth a look.
            self._explainer = (
                coef,
                np.array([r is not None and c > 0 for r, c in zip(readable, coef, strict=True)]),
                readable,
            )
        coef, useful, readable = self._explainer
        start, end = matrix.indptr[row], matrix.indptr[row + 1]
        indices = matrix.indices[start:end]
        keep = useful[indices]
        indices, values = indices[keep], matrix.data[start:end][keep]
        terms: list[str] = []
        for j in np.argsort(-(values * coef[indices])):
            term = readable[indices[j]]
            if term.lower() not in {t.lower() for t in terms}:
                terms.append(term)
                if len(terms) >= top:
                    break
        return tuple(terms)

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
    "numpy.float32",
    "numpy.dtype",
    "sklearn.calibration._CalibratedClassifier",
    "sklearn.calibration._SigmoidCalibration",
    "builtins.slice",
}


def train(
    examples: Sequence[Example], *, C: float = 4.0, min_precision: float = 0.95, folds: int = 5, seed: int = 0
) -> TiesModel:
    """Fit on ``examples``; choose thresholds on out-of-fold predictions (never on what a model was fit on)."""
    start = time.monotonic()
    X, y, groups = _expand(examples)
    y_arr = np.array(y)
    pipeline = make_pipeline(C=C, random_state=seed)
    pipeline.fit(X, y_arr, classifier__groups=groups)
    calibrated: CalibratedLogistic = pipeline.named_steps["classifier"]
    oof = calibrated.oof_proba_
    del calibrated.oof_proba_  # needed once, here; not worth carrying in the model file
    thresholds = choose_thresholds(y_arr, oof, min_precision)
    predicted = oof >= thresholds["normal"]
    tp = int(((predicted == 1) & (y_arr == 1)).sum())
    precision = tp / max(1, int(predicted.sum()))
    recall = tp / max(1, int(y_arr.sum()))
    now = datetime.now(UTC)
    card = {
        # Time first (versions sort by age), then the data it learned from: two models never share a name.
        "version": f"{now.strftime('%Y%m%d-%H%M%S')}-{fingerprint(examples)[:6]}",
        "trained_at": now.isoformat(timespec="seconds"),
        "training_seconds": round(time.monotonic() - start, 2),
        "examples": len(examples),
        "positives": int(sum(e.label for e in examples)),
        "data_hash": fingerprint(examples),
        "threshold": thresholds["normal"],
        "thresholds": thresholds,
        "metrics": {
            "cross_validated": {
                "precision": round(precision, 4),
                "recall": round(recall, 4),
                "f1": round(2 * precision * recall / max(precision + recall, 1e-9), 4),
            }
        },
        "params": {"C": C, "min_precision": min_precision, "folds": folds, "seed": seed},
        "versions": {
            "python": platform.python_version(),
            "scikit-learn": sklearn.__version__,
            "numpy": np.__version__,
            "skops": skops.__version__,
        },
    }
    return TiesModel(pipeline, card)
