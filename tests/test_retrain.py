"""Retraining: a worse candidate is refused, a better one promoted, `model use` rolls back."""

from __future__ import annotations

import json
import re
import shutil
from datetime import UTC, datetime, timedelta

from conftest import DATA
from test_cli import tieswatch

from bot.learn.labels import import_labels, label_item, training_split
from bot.learn.retrain import decide_promotion, retrain, retrain_due
from bot.store import Store
from classifier import registry
from classifier.corpus import bundled_examples
from classifier.evaluate import Scores
from classifier.training import train

NOW = datetime(2025, 6, 1, tzinfo=UTC)


def labelled_store(path):
    store = Store.open(path)
    report = import_labels(store, DATA / "labels.jsonl", NOW)
    assert report.errors == [] and report.imported >= 200
    return store


def test_promotion_rule():
    current = Scores(0.90, 0.80, 0.847, 50)
    assert decide_promotion(Scores(0.89, 0.85, 0.869, 50), current, margin=0.02, force=False)[0]
    assert not decide_promotion(Scores(0.95, 0.70, 0.806, 50), current, margin=0.02, force=False)[0]  # F1 lower
    refused, why = decide_promotion(Scores(0.80, 0.95, 0.869, 50), current, margin=0.02, force=False)
    assert not refused and "precision would drop" in why
    assert decide_promotion(Scores(0.5, 0.5, 0.5, 50), current, margin=0.02, force=True) == (True, "forced")
    assert not decide_promotion(None, None, margin=0.02, force=False)[0]


def test_a_worse_candidate_is_refused_and_a_better_one_promoted_then_rolled_back(
    tmp_path, trained_model_dir, small_examples
):
    models = tmp_path / "data" / "models"
    shutil.copytree(trained_model_dir / "models", models)
    good = registry.current_version(models)

    # An admin has a bad day and labels every training item the wrong way round. The candidate learns
    # that, scores worse on the held-out labels, and must not replace the model in use.
    store = labelled_store(tmp_path / "careless.db")
    try:
        train_part, _ = training_split(store)
        for example in train_part:
            item_id = example.id.removeprefix("label:")
            label_item(store, item_id, 7, 7, 1 - example.label, "command", True, NOW + timedelta(hours=1))
        refused = retrain(store, models, tmp_path / "reports", NOW, base=small_examples)
    finally:
        store.close()
    assert not refused.promoted, refused.text()
    assert registry.current_version(models) == good
    assert refused.holdout >= 10 and refused.png.exists()
    assert "NOT promoted" in refused.text() and "F1 would drop" in refused.text()

    # The other way round: the model in use is weak, the candidate learns from everything.
    weak = train(bundled_examples()[::40])
    registry.save(models, weak, make_current=True)
    store = labelled_store(tmp_path / "careful.db")
    try:
        better = retrain(store, models, tmp_path / "reports", NOW, base=small_examples)
    finally:
        store.close()
    assert better.promoted, better.text()
    assert registry.current_version(models) == better.candidate
    assert better.candidate_scores.f1 >= better.current_scores.f1
    card = json.loads((models / f"model-{better.candidate}.json").read_text())
    assert card["retrain"]["promoted"] and card["retrain"]["labels"] == better.labels_used

    listing = tieswatch("model", "list", "--data", str(tmp_path / "data"), cwd=tmp_path)
    assert better.candidate in listing.stdout and weak.version in listing.stdout and refused.candidate in listing.stdout
    rollback = tieswatch("model", "use", weak.version, "--data", str(tmp_path / "data"), cwd=tmp_path)
    assert rollback.returncode == 0 and registry.current_version(models) == weak.version
    unknown = tieswatch("model", "use", "nope", "--data", str(tmp_path / "data"), cwd=tmp_path)
    assert unknown.returncode == 2 and "versions:" in unknown.stderr


def test_the_retrain_schedule(tmp_path):
    store = Store.open(tmp_path / "t.db")
    try:
        assert retrain_due(store, NOW, every_days=7, after_labels=3) is None  # no labels, nothing to learn
        import_labels(store, DATA / "labels.jsonl", NOW)
        assert "new labels" in retrain_due(store, NOW, every_days=7, after_labels=3)
        store.db["retrains"].insert(
            {
                "at": NOW.isoformat(),
                "trigger": "test",
                "candidate": "x",
                "current": "y",
                "promoted": 1,
                "labels": 0,
                "report": "{}",
            }
        )
        assert retrain_due(store, NOW + timedelta(days=1), every_days=7, after_labels=3) is None
    finally:
        store.close()


def test_cli_retrain_prints_the_report(tmp_path, trained_model_dir, small_corpus):
    shutil.copytree(trained_model_dir / "models", tmp_path / "data" / "models")
    imported = tieswatch("labels", "import", str(DATA / "labels.jsonl"), "--data", str(tmp_path / "data"), cwd=tmp_path)
    assert imported.returncode == 0 and "labels imported" in imported.stdout
    exported = tieswatch("labels", "export", "--data", str(tmp_path / "data"), cwd=tmp_path)
    assert len(exported.stdout.splitlines()) >= 200
    env = {"TIESWATCH_CORPUS": str(small_corpus)}
    report = tieswatch("retrain", "--data", str(tmp_path / "data"), cwd=tmp_path, env=env)
    assert report.returncode == 0
    assert "Retrain: candidate" in report.stdout and "held-out labelled items" in report.stdout
    assert "promoted" in report.stdout.lower()
    trained, from_labels = map(int, re.search(r"trained on (\d+) examples \((\d+) from labels", report.stdout).groups())
    assert trained - from_labels == len(small_corpus.read_text().splitlines())  # TIESWATCH_CORPUS, then the labels
