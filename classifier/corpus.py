"""Corpus: labelled examples read from JSON Lines, the bundled training set, and its fingerprint."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from bot.errors import BadLine

BUNDLED = Path(__file__).resolve().parent / "corpus"


@dataclass(frozen=True)
class Example:
    """One labelled text.

    id: unique within its source.
    lang: language code ("" when unknown).
    title: the headline.
    body: summary or page text.
    label: 1 = about DPRK–Russia military ties, 0 = anything else.
    kind: positive / hard_negative / easy_negative / borderline, when known.
    """

    id: str
    lang: str
    title: str
    body: str
    label: int
    kind: str = ""


def body_of(record: dict) -> str:
    """The text to score: summary and text together when both are given (text is usually the fuller)."""
    summary = str(record.get("summary") or "").strip()
    text = str(record.get("text") or "").strip()
    if summary and text and summary not in text:
        return f"{summary}\n{text}"
    return text or summary


def has_lone_surrogate(record: object) -> bool:
    """Whether a decoded JSON value holds text no file or database can store (``"\\ud800"`` alone)."""
    try:
        json.dumps(record, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def parse_records(lines: Iterable[str], *, need_label: bool) -> Iterator[tuple[int, dict | BadLine]]:
    """(line number, record or BadLine) for every non-blank line."""
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as e:
            yield n, BadLine(n, f"not valid JSON ({e.msg} at column {e.colno})")
            continue
        if not isinstance(record, dict):
            yield n, BadLine(n, "expected a JSON object")
            continue
        if "\\u" in line and has_lone_surrogate(record):
            yield n, BadLine(n, "holds a lone surrogate (an escape such as \\ud800 that is no character)")
            continue
        if not (str(record.get("title") or "").strip() or body_of(record)):
            yield n, BadLine(n, "needs a 'title', 'summary' or 'text'")
            continue
        if need_label and record.get("label") not in (0, 1, True, False):
            yield n, BadLine(n, "'label' must be 0 or 1")
            continue
        yield n, record


def read_examples(path: Path) -> list[Example]:
    """Labelled examples from a JSON Lines file; raise BadLine (naming the file's line) on a broken record."""
    out = []
    with open(path, encoding="utf-8") as f:
        for n, record in parse_records(f, need_label=True):
            if isinstance(record, BadLine):
                raise BadLine(record.line, record.reason, path.name)
            out.append(
                Example(
                    id=str(record.get("id", f"{path.stem}:{n}")),
                    lang=str(record.get("lang") or ""),
                    title=str(record.get("title") or ""),
                    body=body_of(record),
                    label=int(record["label"]),
                    kind=str(record.get("kind") or ""),
                )
            )
    return out


def bundled_examples() -> list[Example]:
    """The training corpus shipped in classifier/corpus/*.jsonl."""
    return [e for path in sorted(BUNDLED.glob("*.jsonl")) for e in read_examples(path)]


def fingerprint(examples: Iterable[Example]) -> str:
    """A hash of the training data, so a model card says exactly what the model learned from."""
    h = hashlib.sha256()
    for e in sorted(examples, key=lambda e: e.id):
        h.update(json.dumps([e.id, e.title, e.body, e.label], ensure_ascii=False).encode())
    return h.hexdigest()[:16]
