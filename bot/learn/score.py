"""Score: items -> ``Score`` with the model in use (the classify stage), which is picked up again whenever it
changes: a promotion or a rollback takes effect without a restart."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

from bot.types import Item, Score
from classifier import registry
from classifier.model import TiesModel

log = logging.getLogger(__name__)


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


def score_items(model: TiesModel, items: Sequence[Item]) -> list[Score]:
    """Score items with ``model``, in bounded batches (memory stays flat on a feed's first poll)."""
    scores: list[Score] = []
    for start in range(0, len(items), 500):
        batch = items[start : start + 500]
        predictions = model.predict([item_text(i) for i in batch])
        scores += [
            Score(i.id, p.score, p.relevant, p.why, p.excerpt, model.version)
            for i, p in zip(batch, predictions, strict=True)
        ]
    return scores
