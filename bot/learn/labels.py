"""Labels: what people said about items (alert buttons, /label, /review, imports), resolved into a
training set. When people disagree on an item, an admin's label wins, otherwise the majority; a tie is
left out of training.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from bot.errors import InputError
from bot.ingest.parse import canonical_link, safe_link
from bot.learn.score import item_text
from bot.store import Store
from bot.types import Item, ReviewItem
from classifier.corpus import Example, has_lone_surrogate

CLI_USER = 0  # labels typed or imported on the command line; the operator counts as an admin
LABEL_SOURCES = ("button", "command", "import", "review")
_YES = {"1", "yes", "y", "true", "relevant", "si", "sì"}
_NO = {"0", "no", "n", "false", "not relevant", "irrelevant"}


@dataclass(frozen=True)
class Labelled:
    """An item with its resolved label.

    item: the item as stored.
    label: 1 or 0 after resolving disagreements.
    votes: how many labels it has.
    sources: where they came from (button, command, import, review).
    """

    item: Item
    label: int
    votes: int
    sources: tuple[str, ...]


@dataclass
class ImportReport:
    imported: int = 0
    created_items: int = 0
    errors: list[str] = field(default_factory=list)


def parse_label(value: object) -> int | None:
    text = str(value).strip().lower()
    if text in _YES:
        return 1
    if text in _NO:
        return 0
    return None


def label_item(
    store: Store,
    item_id: str,
    user_id: int,
    chat_id: int | None,
    label: int,
    source: str,
    is_admin: bool,
    now: datetime,
) -> str:
    """Store one person's label for an item (a later label of theirs replaces it); return the item id."""
    if label not in (0, 1) or source not in LABEL_SOURCES:
        raise ValueError(f"label {label!r} from {source!r}")  # a bug in the caller, not a user's mistake
    store.put_label(item_id, user_id, chat_id, label, source, is_admin, now)
    return item_id


def label_alert(
    store: Store, alert_id: int, user_id: int, chat_id: int, label: int, is_admin: bool, now: datetime
) -> str | None:
    """Store a user's label for the item behind an alert; return the item id (None: unknown alert)."""
    item_id = store.alert_item_id(alert_id)
    if item_id is None:
        return None
    return label_item(store, item_id, user_id, chat_id, label, "button", is_admin, now)


def review_next(store: Store, threshold: float, now: datetime, days: int = 14) -> ReviewItem | None:
    """The recent unlabelled item whose score is closest to the threshold."""
    return store.closest_unlabelled(threshold, now - timedelta(days=days))


def _rows(path: Path) -> Iterator[tuple[int, dict | str]]:
    """(line number, row or the reason it is unusable) for a CSV or JSON Lines file."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(f"{path}: not UTF-8 text; labels come as CSV or JSON Lines") from None
    except OSError as e:
        raise InputError(f"{path}: cannot read ({e.strerror})") from None
    first = next((line for line in text.splitlines() if line.strip()), "")
    if path.suffix.lower() in (".jsonl", ".json", ".ndjson") or first.lstrip().startswith("{"):
        for n, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as e:
                yield n, f"not valid JSON ({e.msg})"
                continue
            if not isinstance(row, dict):
                yield n, "expected a JSON object"
            elif "\\u" in line and has_lone_surrogate(row):
                yield n, "holds a lone surrogate (an escape such as \\ud800 that is no character)"
            else:
                yield n, row
        return
    reader = csv.DictReader(io.StringIO(text))
    if not reader.fieldnames or not ({"link", "id"} & {f.strip().lower() for f in reader.fieldnames}):
        yield 1, "the CSV header needs a 'link' or 'id' column and a 'label' column"
        return
    for row in reader:
        if None in row:  # DictReader files the surplus cells under None
            yield reader.line_num, f"more columns than the header ({len(reader.fieldnames)}): quote cells with commas"
            continue
        yield reader.line_num, {(k or "").strip().lower(): (v or "").strip() for k, v in row.items()}


def import_labels(store: Store, path: Path, now: datetime, user_id: int = CLI_USER) -> ImportReport:
    """Import labels from CSV or JSON Lines (link or id, label; title and summary for unseen items).

    Every bad row is reported with its line number; the good rows are written all the same, in one
    transaction (an import that stops half way writes nothing).
    """
    report = ImportReport()
    new_items: dict[str, Item] = {}
    labels: dict[str, int] = {}
    for n, row in _rows(path):
        where = f"{path.name} line {n}"
        if isinstance(row, str):
            report.errors.append(f"{where}: {row}")
            continue
        label = parse_label(row.get("label", ""))
        key = str(row.get("link") or row.get("id") or "").strip()
        if label is None:
            report.errors.append(f"{where}: 'label' must be 1/0 or yes/no, not {row.get('label')!r}")
            continue
        if not key:
            report.errors.append(f"{where}: needs a 'link' or an 'id'")
            continue
        item = new_items.get(key) or store.find_item(key)
        if item is None and safe_link(key):
            item = store.find_item(canonical_link(key))
        if item is None:
            title = str(row.get("title") or "").strip()
            if not title:
                report.errors.append(
                    f"{where}: no stored item has link or id {key!r}; give its 'title' (and 'summary') to import it"
                )
                continue
            item = _imported_item(key, title, str(row.get("summary") or ""), str(row.get("lang") or ""), now)
            new_items[key] = item
        labels[item.id] = label
        report.imported += 1
    report.created_items = store.import_labels(list(new_items.values()), labels, user_id, now)
    return report


def _imported_item(key: str, title: str, summary: str, lang: str, now: datetime) -> Item:
    link = safe_link(key)
    item_id = link or f"import:{hashlib.sha256(key.encode()).hexdigest()[:16]}"
    return Item(
        id=item_id,
        feed_url="import:",
        source="import",
        language=lang.lower()[:3],
        title=title,
        summary=summary,
        text="",
        link=link,
        published=now,
        fetched_at=now,
    )


def resolved(store: Store) -> tuple[list[Labelled], int]:
    """Every labelled item with its resolved label, and how many were left out as ties."""
    votes: dict[str, list[dict]] = {}
    for row in store.label_rows():
        votes.setdefault(row["item_id"], []).append(row)
    out, ties = [], 0
    for item_id, rows in votes.items():
        admin = [r for r in rows if r["is_admin"]]
        if admin:
            label = admin[-1]["label"]  # the latest admin word
        else:
            counts = Counter(r["label"] for r in rows)
            if counts[0] == counts[1]:
                ties += 1
                continue
            label = int(counts[1] > counts[0])
        item = store.get_item(item_id)
        if item is not None:
            out.append(Labelled(item, label, len(rows), tuple(sorted({r["source"] for r in rows}))))
    return out, ties


def is_holdout(item_id: str, share: float = 0.2) -> bool:
    """A stable split: the same item is always held out (or always trained on), retrain after retrain."""
    return int(hashlib.sha256(item_id.encode()).hexdigest()[:8], 16) / 0xFFFFFFFF < share


def as_example(labelled: Labelled) -> Example:
    item = labelled.item
    title, body = item_text(item)
    return Example(id=f"label:{item.id}", lang=item.language, title=title, body=body, label=labelled.label)


def training_split(store: Store) -> tuple[list[Example], list[Example]]:
    """(labelled examples to train on, labelled examples held out to compare models)."""
    items, _ = resolved(store)
    train, holdout = [], []
    for labelled in items:
        (holdout if is_holdout(labelled.item.id) else train).append(as_example(labelled))
    return train, holdout


def export_rows(store: Store) -> Iterator[dict]:
    items, _ = resolved(store)
    for labelled in items:
        item = labelled.item
        yield {
            "id": item.id,
            "link": item.link,
            "lang": item.language,
            "title": item.title,
            "summary": item.summary,
            "label": labelled.label,
            "votes": labelled.votes,
            "sources": list(labelled.sources),
        }
