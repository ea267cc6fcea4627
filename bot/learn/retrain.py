"""Retrain: labels -> training set -> candidate model -> compare with the model in use on the same
held-out labelled items -> promote only if it is not worse.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import numpy as np

from bot.errors import InputError
from bot.learn import labels
from bot.store import Store
from bot.types import iso
from classifier import registry
from classifier.corpus import Example, bundled_examples, read_examples
from classifier.evaluate import Scores, average_precision_of, plot_pr_curves
from classifier.model import TiesModel
from classifier.training import train

log = logging.getLogger(__name__)
MIN_HOLDOUT = 10


@dataclass
class RetrainReport:
    """What a retrain did and why."""

    candidate: str
    current: str
    promoted: bool
    reason: str
    trained_on: int
    labels_used: int
    holdout: int
    ties: int
    candidate_scores: Scores | None
    current_scores: Scores | None
    flipped: list[tuple[str, int, int]] = field(default_factory=list)  # (title, candidate's verdict, label)
    png: Path | None = None
    thresholds: tuple[float, float] = (0.0, 0.0)  # current, candidate
    average_precision: tuple[float, float] | None = None  # current, candidate, on the held-out items

    def text(self) -> str:
        lines = [
            f"Retrain: candidate {self.candidate} vs current {self.current}",
            f"  trained on {self.trained_on} examples ({self.labels_used} from labels; "
            f"{self.ties} tied items left out); compared on {self.holdout} held-out labelled items",
        ]
        for i, (name, s) in enumerate((("current", self.current_scores), ("candidate", self.candidate_scores))):
            if s is not None:
                ap = f"  AP {self.average_precision[i]:.3f}" if self.average_precision else ""
                lines.append(
                    f"  {name:<9} P {s.precision:.3f}  R {s.recall:.3f}  F1 {s.f1:.3f}{ap}  "
                    f"(threshold {self.thresholds[i]:.3f})"
                )
        if self.flipped:
            lines.append(f"  verdicts that change on held-out items ({len(self.flipped)}):")
            for title, new, label in self.flipped[:10]:
                mark = "fixed" if new == label else "broken"
                lines.append(f"    [{mark}] {'now flagged' if new else 'no longer flagged'}: {title[:90]}")
        lines.append(f"  {'PROMOTED' if self.promoted else 'NOT promoted'}: {self.reason}")
        if self.png:
            lines.append(f"  precision–recall curves: {self.png}")
        return "\n".join(lines)


def decide_promotion(
    candidate: Scores | None, current: Scores | None, *, margin: float, force: bool
) -> tuple[bool, str]:
    """Promote when F1 is not lower and precision not lower by more than ``margin`` (or when forced)."""
    if force:
        return True, "forced"
    if candidate is None or current is None:
        return False, (
            f"fewer than {MIN_HOLDOUT} held-out labelled items with both labels: cannot tell whether "
            "the candidate is better (label more items, or use --force)"
        )
    if candidate.f1 < current.f1:
        return False, f"F1 would drop from {current.f1:.3f} to {candidate.f1:.3f}"
    if candidate.precision < current.precision - margin:
        return False, (
            f"precision would drop from {current.precision:.3f} to {candidate.precision:.3f}, more than "
            f"the allowed {margin:.3f}"
        )
    return (
        True,
        f"F1 {current.f1:.3f} -> {candidate.f1:.3f}, precision {current.precision:.3f} -> {candidate.precision:.3f}",
    )


def _scores(model: TiesModel, holdout: Sequence[Example]) -> tuple[Scores, list[float]]:
    p = model.predict_proba([(e.title, e.body) for e in holdout])
    return Scores.of([e.label for e in holdout], p >= model.threshold), list(p)


def base_corpus(path: Path | None) -> list[Example]:
    """The examples training starts from: the bundled corpus, or the JSON Lines file (or folder of them) at
    ``path`` (``TIESWATCH_CORPUS``)."""
    if path is None:
        return bundled_examples()
    files = sorted(path.glob("*.jsonl")) if path.is_dir() else [path]
    examples = [e for f in files for e in read_examples(f)]
    if not examples:
        raise InputError(f"{path}: no labelled examples to train on (TIESWATCH_CORPUS names JSON Lines files)")
    return examples


def retrain(
    store: Store,
    models_dir: Path,
    reports_dir: Path,
    now: datetime,
    *,
    force: bool = False,
    margin: float = 0.02,
    trigger: str = "command",
    base: Sequence[Example] | None = None,
) -> RetrainReport:
    """Train a candidate on the bundled corpus plus labelled items, compare, promote only if not worse."""
    current = registry.ensure_model(models_dir)
    train_part, holdout = labels.training_split(store)
    _, ties = labels.resolved(store)
    examples = list(bundled_examples() if base is None else base) + train_part
    candidate = train(examples)
    usable = len(holdout) >= MIN_HOLDOUT and len({e.label for e in holdout}) == 2
    cand_scores = cur_scores = None
    flipped: list[tuple[str, int, int]] = []
    png = None
    average_precision = None
    if usable:
        cand_scores, cand_p = _scores(candidate, holdout)
        cur_scores, cur_p = _scores(current, holdout)
        for e, a, b in zip(holdout, cur_p, cand_p, strict=True):
            old, new = int(a >= current.threshold), int(b >= candidate.threshold)
            if old != new:
                flipped.append((e.title, new, e.label))
        y = np.array([e.label for e in holdout])
        average_precision = (average_precision_of(y, cur_p), average_precision_of(y, cand_p))
        png = plot_pr_curves(
            [
                (f"current {current.version}", y, np.array(cur_p)),
                (f"candidate {candidate.version}", y, np.array(cand_p)),
            ],
            reports_dir / f"retrain-{candidate.version}.png",
            f"held-out labelled items (n={len(holdout)})",
        )
    promote, reason = decide_promotion(cand_scores, cur_scores, margin=margin, force=force)
    candidate.card["retrain"] = {
        "trigger": trigger,
        "promoted": promote,
        "reason": reason,
        "labels": len(train_part),
        "holdout": len(holdout),
        "holdout_scores": None if cand_scores is None else vars(cand_scores),
        "current": current.version,
        "current_holdout_scores": None if cur_scores is None else vars(cur_scores),
    }
    registry.save(models_dir, candidate, make_current=promote)
    report = RetrainReport(
        candidate.version,
        current.version,
        promote,
        reason,
        len(examples),
        len(train_part),
        len(holdout),
        ties,
        cand_scores,
        cur_scores,
        flipped,
        png,
        (current.threshold, candidate.threshold),
        average_precision,
    )
    store.record_retrain(
        {
            "at": iso(now),
            "trigger": trigger,
            "candidate": candidate.version,
            "current": current.version,
            "promoted": int(promote),
            "labels": len(train_part),
            "report": json.dumps({"text": report.text()}, ensure_ascii=False),
        }
    )
    log.info("retrain: candidate %s %s (%s)", candidate.version, "promoted" if promote else "refused", reason)
    return report


def retrain_due(store: Store, now: datetime, *, every_days: float, after_labels: int) -> str | None:
    """Why a scheduled retrain is due now (a week has passed, or enough new labels arrived), or None."""
    last = store.last_retrain_at()
    since = last or "1970-01-01T00:00:00+00:00"
    new_labels = store.labels_since(since)
    if new_labels == 0:
        return None
    if new_labels >= after_labels:
        return f"{new_labels} new labels"
    if last and (now - datetime.fromisoformat(last)).total_seconds() >= every_days * 86400:
        return f"{every_days:g} days since the last retrain"
    return None
