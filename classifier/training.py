"""Training: examples → a fitted pipeline, thresholds chosen on out-of-fold scores, and the card it travels
with (threshold, metrics of each feature family, data hash, library and embedding versions)."""

from __future__ import annotations

import platform
import time
from collections.abc import Sequence
from datetime import UTC, datetime

import numpy as np
import sklearn
import skops
from sklearn.metrics import precision_recall_curve

from classifier.corpus import Example, fingerprint
from classifier.embed import provenance
from classifier.model import TiesModel, make_pipeline, make_stacked_pipeline
from classifier.stack import StackedClassifier


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


def train(
    examples: Sequence[Example],
    *,
    C: float = 4.0,
    min_precision: float = 0.95,
    folds: int = 5,
    seed: int = 0,
    semantic: bool = True,
) -> TiesModel:
    """Fit on ``examples``; choose thresholds on out-of-fold predictions (never on what a model was fit on).

    ``semantic`` adds the sentence-embedding family, stacked with the lexical one; without it the model is
    lexical only, as versions before the stack were.
    """
    start = time.monotonic()
    X, y, groups = _expand(examples)
    y_arr = np.array(y)
    pipeline = make_stacked_pipeline(C, seed) if semantic else make_pipeline(C=C, random_state=seed)
    pipeline.fit(X, y_arr, classifier__groups=groups)
    final = pipeline.named_steps["classifier"]
    oof = final.oof_proba_
    families = _family_metrics(final, y_arr) if semantic else {}
    _drop_training_state(final)
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
        "params": {"C": C, "min_precision": min_precision, "folds": folds, "seed": seed, "semantic": semantic},
        "families": families,
        "embedding": provenance() if semantic else None,
        "versions": {
            "python": platform.python_version(),
            "scikit-learn": sklearn.__version__,
            "numpy": np.__version__,
            "skops": skops.__version__,
        },
    }
    return TiesModel(pipeline, card)


def _scores_at_best(y: np.ndarray, p: np.ndarray) -> dict[str, float]:
    t = choose_thresholds(y, p)["normal"]
    predicted = p >= t
    tp = int((predicted & (y == 1)).sum())
    precision, recall = tp / max(1, int(predicted.sum())), tp / max(1, int(y.sum()))
    f1 = 2 * precision * recall / max(precision + recall, 1e-9)
    return {"precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4), "threshold": t}


WEIGHTS = ("lexical", "semantic", "semantic_uk")  # the stack's inputs, in order


def _family_metrics(stack: StackedClassifier, y: np.ndarray) -> dict[str, dict]:
    """Out-of-fold quality of each family, on the texts that were embedded (where the stack decides)."""
    oof = stack.family_oof_
    gated = oof["gated"]
    return {
        "embedded_share": round(float(gated.mean()), 4),
        "lexical": _scores_at_best(y[gated], oof["lexical"][gated]),
        "semantic": _scores_at_best(y[gated], oof["semantic"]),
        "stack": _scores_at_best(y[gated], stack.oof_proba_[gated]),
        "weights": dict(
            zip(("lexical", "semantic", "semantic_uk"), stack.meta_.coef_[0].round(3).tolist(), strict=True)
        ),
    }


def _drop_training_state(final: object) -> None:
    """Out-of-fold arrays are needed once, to choose thresholds; they are not worth carrying in the file."""
    for holder in (final, getattr(final, "lexical_", None) and final.lexical_.named_steps["classifier"]):
        for name in ("oof_proba_", "family_oof_"):
            if holder is not None and hasattr(holder, name):
                delattr(holder, name)
