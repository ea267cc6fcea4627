"""Items and their scores: every item once (by stable id), the model's verdict on it, and the questions
asked of them (recent flagged items, the next item worth a label)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime

from bot.store.base import StoreBase
from bot.types import Item, Recent, ReviewItem, Score, iso

_BATCH = 500  # ids per IN (...) query, well under SQLite's variable limit


def item_from_row(row: dict) -> Item:
    """An ``Item`` from an items row (or a row that carries its columns)."""
    return Item(
        id=row["id"],
        feed_url=row["feed_url"],
        source=row["source"],
        language=row["language"],
        title=row["title"] or "",
        summary=row["summary"] or "",
        text=row["text"] or "",
        link=row["link"],
        published=datetime.fromisoformat(row["published"]),
        fetched_at=datetime.fromisoformat(row["fetched_at"]),
    )


def _score_row(score: Score, now: datetime) -> dict:
    return {
        "item_id": score.item_id,
        "score": score.score,
        "relevant": int(score.relevant),
        "why": json.dumps(list(score.why), ensure_ascii=False),
        "excerpt": score.excerpt.text,
        "marks": json.dumps([list(m) for m in score.excerpt.marks]),
        "model_version": score.model_version,
        "scored_at": iso(now),
    }


class ItemsMixin(StoreBase):
    def add_items(self, items: Iterable[Item]) -> list[Item]:
        """Store the items not seen before (by stable id); return just those, in input order."""
        items = list(items)
        if not items:
            return []
        with self.db.atomic():
            return self._insert_items(items)

    def _insert_items(self, items: list[Item]) -> list[Item]:
        """The inserts of ``add_items``, inside the caller's transaction."""
        new: list[Item] = []
        for item in items:
            cur = self.db.conn.execute(
                "INSERT OR IGNORE INTO items (id, feed_url, source, language, title, summary, text, link, "
                "published, fetched_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    item.id,
                    item.feed_url,
                    item.source,
                    item.language,
                    item.title,
                    item.summary,
                    item.text,
                    item.link,
                    iso(item.published),
                    iso(item.fetched_at),
                ),
            )
            if cur.rowcount:
                new.append(item)
        return new

    def known_ids(self, ids: Iterable[str]) -> set[str]:
        """Which of ``ids`` the store already holds."""
        ids = list(dict.fromkeys(ids))
        known: set[str] = set()
        for start in range(0, len(ids), _BATCH):
            chunk = ids[start : start + _BATCH]
            rows = self.db.execute(f"SELECT id FROM items WHERE id IN ({','.join('?' * len(chunk))})", chunk)
            known.update(r[0] for r in rows)
        return known

    def recent_ids(self, feed_url: str, limit: int = 1000) -> frozenset[str]:
        """The ids of a feed's latest ``limit`` items (what its next document mostly repeats)."""
        rows = self.db.execute(
            "SELECT id FROM items WHERE feed_url = ? ORDER BY published DESC LIMIT ?", [feed_url, limit]
        )
        return frozenset(r[0] for r in rows)

    def unscored_items(self, limit: int = 500) -> list[Item]:
        """Items stored without a score (left by a crash of an older version, or a model that failed)."""
        rows = self.db.query(
            "SELECT items.* FROM items LEFT JOIN scores ON scores.item_id = items.id "
            "WHERE scores.item_id IS NULL ORDER BY items.rowid LIMIT ?",
            [limit],
        )
        return [item_from_row(dict(r)) for r in rows]

    def count_items(self) -> int:
        return self.db["items"].count

    def get_item(self, item_id: str) -> Item | None:
        row = next(self.db["items"].rows_where("id = ?", [item_id]), None)
        return item_from_row(row) if row else None

    def find_item(self, key: str) -> Item | None:
        """An item by id or by link."""
        row = next(self.db["items"].rows_where("id = ? OR link = ?", [key, key], limit=1), None)
        return item_from_row(row) if row else None

    def item_id_by_rowid(self, rowid: int) -> str | None:
        row = next(iter(self.db.query("SELECT id FROM items WHERE rowid = ?", [rowid])), None)
        return row["id"] if row else None

    def store_scores(self, scores: Iterable[Score], now: datetime) -> None:
        """Keep each item's latest verdict (a re-score replaces the old one)."""
        with self.db.atomic():
            for score in scores:
                self.db.conn.execute(
                    "INSERT INTO scores (item_id, score, relevant, why, excerpt, marks, model_version, scored_at) "
                    "VALUES (:item_id, :score, :relevant, :why, :excerpt, :marks, :model_version, :scored_at) "
                    "ON CONFLICT(item_id) DO UPDATE SET score = excluded.score, relevant = excluded.relevant, "
                    "why = excluded.why, excerpt = excluded.excerpt, marks = excluded.marks, "
                    "model_version = excluded.model_version, scored_at = excluded.scored_at",
                    _score_row(score, now),
                )

    def recent_flagged(self, n: int) -> list[Recent]:
        """The latest ``n`` items the model flagged, whether or not they alerted (first polls do not)."""
        rows = self.db.query(
            "SELECT items.title, items.link, items.source, items.published, scores.score FROM scores "
            "JOIN items ON items.id = scores.item_id WHERE scores.relevant = 1 "
            "ORDER BY items.published DESC LIMIT ?",
            [n],
        )
        return [
            Recent(r["title"], r["link"], r["source"], datetime.fromisoformat(r["published"]), r["score"]) for r in rows
        ]

    def closest_unlabelled(self, threshold: float, since: datetime) -> ReviewItem | None:
        """The item fetched since ``since``, with no label yet, whose score is closest to ``threshold``."""
        rows = self.db.query(
            "SELECT items.rowid AS rowid, items.id, items.title, items.summary, items.link, items.source, "
            "scores.score FROM scores JOIN items ON items.id = scores.item_id "
            "WHERE items.fetched_at >= ? AND NOT EXISTS (SELECT 1 FROM labels WHERE labels.item_id = items.id) "
            "ORDER BY ABS(scores.score - ?) LIMIT 1",
            [iso(since), threshold],
        )
        r = next(iter(rows), None)
        if r is None:
            return None
        return ReviewItem(r["rowid"], r["id"], r["title"], r["summary"], r["link"], r["source"], r["score"])
