"""Model files on disk: every trained version with its card, and which one is in use.

    data/models/model-<version>.skops   the pipeline (skops)
    data/models/model-<version>.json    its card: threshold, metrics, data hash, versions
    data/models/current                 the version in use

No binary model is committed: when none exists, the bundled corpus is trained on first start (seconds).
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path

from bot.errors import NoModel
from classifier import embed
from classifier.corpus import Example, bundled_examples
from classifier.model import TiesModel
from classifier.training import train

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ModelInfo:
    version: str
    card: dict
    current: bool


def current_version(directory: Path) -> str | None:
    pointer = directory / "current"
    if not pointer.exists():
        return None
    version = pointer.read_text().strip()
    return version if (directory / f"model-{version}.skops").exists() else None


def set_current(directory: Path, version: str) -> None:
    """Point ``current`` at ``version`` atomically, so a running bot never reads half a name."""
    if not (directory / f"model-{version}.skops").exists():
        raise NoModel(f"no model version {version} in {directory}")
    tmp = directory / "current.tmp"
    tmp.write_text(version + "\n")
    os.replace(tmp, directory / "current")


def list_models(directory: Path) -> list[ModelInfo]:
    current = current_version(directory)
    out = []
    for card_path in sorted(directory.glob("model-*.json")):
        card = json.loads(card_path.read_text())
        out.append(ModelInfo(card["version"], card, card["version"] == current))
    return out


def load(directory: Path, version: str | None = None) -> TiesModel:
    embed.cache_in(directory / "cache")  # a two-family model maps its embedding table from here
    version = version or current_version(directory)
    if version is None:
        raise NoModel(f"no model in {directory}")
    path = directory / f"model-{version}.skops"
    if not path.exists():
        raise NoModel(f"no model version {version} in {directory}")
    return TiesModel.load(path)


def save(directory: Path, model: TiesModel, *, make_current: bool) -> Path:
    """Write the model and its card; an existing version is never overwritten (the name gets a suffix)."""
    base, n = model.version, 1
    while (directory / f"model-{model.version}.skops").exists():
        n += 1
        model.card["version"] = f"{base}-{n}"
    path = model.save(directory)
    if make_current:
        set_current(directory, model.version)
    return path


def ensure_model(directory: Path, examples: list[Example] | None = None) -> TiesModel:
    """The model in use; on first start, train one on the bundled corpus and make it current."""
    try:
        return load(directory)
    except NoModel:
        pass
    log.info("no model in %s yet: training the bundled one (takes seconds)", directory)
    model = train(examples or bundled_examples())
    save(directory, model, make_current=True)
    log.info("model %s ready: threshold %.3f", model.version, model.threshold)
    return model
