"""Search: the items' full-text index (SQLite FTS5, kept current by triggers, migration 004) and the searches
people page through in Telegram."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from bot.store.base import StoreBase
from bot.types import Found, SearchPage, iso
from classifier.excerpt import Excerpt

_WORD = re.compile(r"\w+")
_OPEN, _CLOSE = "\x02", "\x03"  # snippet() marks around matched words; never in stored feed text
_MARKS = re.compile(f"{_OPEN}(.*?){_CLOSE}", re.S)


def fts_query(words: str) -> str | None:
    """What a person typed as an FTS5 query: every word must be found at the start of a word of the item, so
    "Kursk" finds "Kursk's", "Курск" finds "Курске" and "북한" finds "북한이". Operators and quotes are taken as
    plain words. None when nothing searchable is left."""
    tokens = _WORD.findall(words)
    return " ".join(f'"{t}"*' for t in tokens) if tokens else None


def _excerpt(snippet: str) -> Excerpt:
    """snippet()'s text with its marks as an Excerpt (the marks as spans of the plain text)."""
    text, marks, pos = [], [], 0
    for m in _MARKS.finditer(snippet):
        text.append(snippet[pos : m.start()])
        start = sum(map(len, text))
        text.append(m.group(1))
        marks.append((start, start + len(m.group(1))))
        pos = m.end()
    text.append(snippet[pos:])
    plain = "".join(text).replace(_OPEN, "").replace(_CLOSE, "")
    return Excerpt(plain, tuple(marks))


class SearchMixin(StoreBase):
    def search_items(
        self, words: str, *, relevant_only: bool = False, limit: int = 6, offset: int = 0, search_id: int = 0
    ) -> SearchPage:
        """Stored items matching every word, newest first: the page at ``offset``, and how many match in all
        (``search_id``: the saved search the page belongs to, for its buttons)."""
        query = fts_query(words)
        if query is None:
            return SearchPage(search_id, words, relevant_only, 0, 0, ())
        flagged = " AND scores.relevant = 1" if relevant_only else ""
        joins = (
            "FROM items_fts JOIN items ON items.rowid = items_fts.rowid "
            "LEFT JOIN scores ON scores.item_id = items.id "
            f"WHERE items_fts MATCH ?{flagged}"
        )
        total = int(self._scalar(f"SELECT COUNT(*) {joins}", [query]))
        rows = self.db.query(
            "SELECT items.id, items.title, items.link, items.source, items.language, items.published, "
            f"scores.score, scores.relevant, snippet(items_fts, -1, char(2), char(3), '…', 24) AS snippet {joins} "
            "ORDER BY items.published DESC, items.rowid DESC LIMIT ? OFFSET ?",
            [query, limit, offset],
        )
        found = tuple(
            Found(
                r["id"],
                r["title"] or "",
                r["link"],
                r["source"],
                r["language"],
                datetime.fromisoformat(r["published"]),
                r["score"],
                bool(r["relevant"]),
                _excerpt(r["snippet"] or ""),
            )
            for r in rows
        )
        return SearchPage(search_id, words, relevant_only, offset, total, found)

    def save_search(self, chat_id: int, words: str, now: datetime) -> int:
        """Keep what a chat searched for, so the buttons under its results can page through them; searches
        older than a week are forgotten (their buttons then ask for a new search)."""
        with self.db.atomic():
            # The newest row is kept: SQLite gives a new row the highest id + 1, so an id is never handed out
            # twice and an old button cannot page through someone's newer search.
            self.db.conn.execute(
                "DELETE FROM searches WHERE created_at < ? AND id < (SELECT MAX(id) FROM searches)",
                [iso(now - timedelta(days=7))],
            )
        return self.db["searches"].insert({"chat_id": chat_id, "words": words, "created_at": iso(now)}).last_pk

    def saved_search(self, search_id: int, chat_id: int) -> str | None:
        """The words of a search this chat saved, or None (another chat's, or unknown)."""
        row = next(self.db["searches"].rows_where("id = ? AND chat_id = ?", [search_id, chat_id]), None)
        return row["words"] if row else None
