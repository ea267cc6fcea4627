"""The model: the corpus it learns from, the quality bar on held-out sets, the seeds, the model file."""

from __future__ import annotations

import collections
import json
import re
import zipfile
from pathlib import Path

import pytest
from conftest import shared_path

from classifier import registry
from classifier.clean import split_sentences
from classifier.corpus import BUNDLED, bundled_examples, read_examples
from classifier.evaluate import evaluate
from classifier.model import TiesModel

LANGS = ("it", "en", "ru", "uk", "ko", "de", "fr", "es", "pl")


def test_corpus_meets_its_brief():
    rows = [json.loads(line) for p in sorted(BUNDLED.glob("*.jsonl")) for line in p.open(encoding="utf-8")]
    assert len(rows) >= 1500
    assert sum(r["label"] for r in rows) / len(rows) >= 0.40
    assert sum(r["kind"] == "hard_negative" for r in rows) / len(rows) >= 0.30
    assert sum(r["style"] == "page" for r in rows) / len(rows) >= 1 / 3
    per_lang = collections.Counter(r["lang"] for r in rows)
    assert all(per_lang[lang] >= 60 for lang in LANGS), per_lang
    assert len({r["id"] for r in rows}) == len(rows)
    for r in rows:
        assert set(r) == {"id", "lang", "title", "summary", "text", "label", "kind", "style"}, r["id"]
        assert (r["label"] == 1) == (r["kind"] == "positive"), r["id"]


def test_corpus_holds_no_evaluation_text():
    titles = [
        json.loads(line)["title"]
        for name in ("dev.jsonl", "dev-pages.jsonl")
        for line in shared_path("eval", name).open(encoding="utf-8")
    ]
    corpus = "\n".join(p.read_text(encoding="utf-8") for p in BUNDLED.glob("*.jsonl"))
    assert [t for t in titles if len(t) > 25 and t in corpus] == []


@pytest.mark.parametrize("name, min_f1, min_precision", [("dev.jsonl", 0.94, 0.94), ("dev-pages.jsonl", 0.90, 0.90)])
def test_quality_bar_on_held_out_sets(model, name, min_f1, min_precision):
    report = evaluate(model, read_examples(shared_path("eval", name)), name)
    assert report.overall.f1 >= min_f1 and report.overall.precision >= min_precision, report.overall
    for baseline in report.baselines.values():
        assert report.overall.f1 > baseline.f1  # the model must beat the keyword queries
    if name == "dev.jsonl":
        weak = {lang: s.f1 for lang, s in report.per_language.items() if s.f1 < 0.85}
        assert weak == {}


def seed_files() -> list[Path]:
    return sorted(shared_path("seeds").glob("*.txt"))


def read_seed(path: Path) -> tuple[str, str]:
    title, _, body = path.read_text(encoding="utf-8").partition("\n")
    return title.strip(), body


def test_every_seed_article_is_flagged_with_an_excerpt_from_its_body(model):
    seeds = seed_files()
    assert len(seeds) == 5
    for path in seeds:
        title, body = read_seed(path)
        (p,) = model.predict([(title, body)])
        assert p.relevant, f"{path.name} scored {p.score:.3f}"
        assert p.why
        assert 0 < len(p.excerpt.text) <= 280
        flat_body = " ".join(body.split())
        for sentence in split_sentences(p.excerpt.text.rstrip("…")):
            assert sentence in flat_body, path.name


def latest_news_list(body: str) -> list[tuple[str, str]]:
    tail = body.split("LE ULTIME NOTIZIE", 1)[1].split("(con fonte", 1)[0]
    blocks = [b.strip() for b in tail.split("Read More") if b.strip()]
    return [tuple(b.split("\n", 1)) for b in blocks]  # (headline, teaser)


def test_the_seed_with_a_latest_news_list_keeps_it_out(model):
    (path,) = [p for p in seed_files() if "LE ULTIME NOTIZIE" in p.read_text(encoding="utf-8")]
    title, body = read_seed(path)
    headlines = latest_news_list(body)
    assert len(headlines) >= 5
    (p,) = model.predict([(title, body)])
    for headline, _teaser in headlines:
        assert headline not in p.excerpt.text
    for prediction, (headline, _) in zip(model.predict(headlines), headlines, strict=True):
        assert not prediction.relevant, f"{headline!r} flagged ({prediction.score:.2f})"


def test_model_file_is_small_safe_and_carries_its_card(trained_model_dir):
    (info,) = registry.list_models(trained_model_dir / "models")
    card = info.card
    assert info.current
    for key in ("version", "trained_at", "data_hash", "threshold", "thresholds", "metrics", "versions"):
        assert key in card
    assert card["thresholds"]["strict"] >= card["thresholds"]["normal"] >= card["thresholds"]["broad"]
    path = trained_model_dir / "models" / card["file"]
    assert path.stat().st_size < 25_000_000
    assert card["training_seconds"] > 0  # the card says how long training took (benchmarks print the figure)
    with zipfile.ZipFile(path) as z:
        assert "schema.json" in z.namelist()  # skops format, not a pickle


class Foreign:
    """A type no tieswatch model contains."""


def test_a_model_file_with_foreign_types_is_refused(trained_model_dir, tmp_path):
    import skops.io as sio

    bad = tmp_path / "model-x.skops"
    sio.dump({"payload": Foreign()}, bad)
    (tmp_path / "model-x.json").write_text("{}")
    with pytest.raises(ValueError, match="never contains"):
        TiesModel.load(bad)


def test_saved_and_loaded_models_score_alike(model, tmp_path):
    texts = [("Kim sends more troops to Kursk", "Seoul says 3,000 soldiers arrived."), ("Rain in Rome", "")]
    before = model.predict_proba(texts)
    model.save(tmp_path)
    after = TiesModel.load(tmp_path / f"model-{model.version}.skops").predict_proba(texts)
    assert list(before) == pytest.approx(list(after))


def test_training_data_hash_changes_with_the_data():
    from classifier.corpus import fingerprint

    examples = bundled_examples()
    assert fingerprint(examples) == fingerprint(list(reversed(examples)))
    assert fingerprint(examples) != fingerprint(examples[:-1])
    assert re.fullmatch(r"[0-9a-f]{16}", fingerprint(examples))
