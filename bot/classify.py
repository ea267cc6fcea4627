"""Classify: items -> ``Score`` with the model in use, which is picked up again whenever it changes."""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from bot.parse import Item
from bot.store import iso
from classifier import registry
from classifier.excerpt import Excerpt
from classifier.model import TiesModel

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Score:
    """The model's verdict on one item.

    item_id: the item scored.
    score: calibrated probability that the item is about DPRK–Russia military ties.
    relevant: score at or above the model's normal threshold.
    why: the terms that drove the score.
    excerpt: at most 280 characters of the item's own text, decisive terms marked.
    model_version: which model said so.
    """

    item_id: str
    score: float
    relevant: bool
    why: tuple[str, ...]
    excerpt: Excerpt
    model_version: str

    def row(self, now: datetime) -> dict:
        return {
            "item_id": self.item_id,
            "score": self.score,
            "relevant": int(self.relevant),
            "why": json.dumps(list(self.why), ensure_ascii=False),
            "excerpt": self.excerpt.text,
            "marks": json.dumps([list(m) for m in self.excerpt.marks]),
            "model_version": self.model_version,
            "scored_at": iso(now),
        }


def item_text(item: Item) -> tuple[str, str]:
    """(title, body) as the model sees an item: the full content when the feed carries it."""
    body = item.text or item.summary
    if item.text and item.summary and item.summary not in item.text:
        body = f"{item.summary}\n{item.text}"
    return item.title, body


class Classifier:
    """The model in use, reloaded when ``data/models/current`` points elsewhere (promotion, rollback)."""

    def __init__(self, models_dir: Path):
        self.models_dir = models_dir
        self._model: TiesModel | None = None

    @property
    def model(self) -> TiesModel:
        current = registry.current_version(self.models_dir)
        if self._model is None or (current is not None and current != self._model.version):
            self._model = (
                registry.ensure_model(self.models_dir) if current is None else registry.load(self.models_dir, current)
            )
            log.info("model %s in use (threshold %.3f)", self._model.version, self._model.threshold)
        return self._model

    def thresholds(self, model: TiesModel | None = None) -> dict[str, float]:
        model = model or self.model
        return {s: model.threshold_for(s) for s in ("strict", "normal", "broad")}

    def score(self, items: Sequence[Item], model: TiesModel | None = None) -> list[Score]:
        """Score items with ``model`` (default: the one in use now)."""
        if not items:
            return []
        model = model or self.model
        scores = []
        for start in range(0, len(items), 500):  # bounded batches keep memory flat on a feed's first poll
            batch = items[start : start + 500]
            predictions = model.predict([item_text(i) for i in batch])
            scores += [
                Score(i.id, p.score, p.relevant, p.why, p.excerpt, model.version)
                for i, p in zip(batch, predictions, strict=True)
            ]
        return scores
