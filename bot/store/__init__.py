"""Store: the one SQLite database (WAL mode) that holds everything, behind named, append-only migrations.

Split by domain, one part per table group, all joined in ``Store``:

    feeds.py        feeds and the fetch log
    items.py        items and their scores
    alerts.py       alerts and the outbox's deliveries
    subscribers.py  the chats that receive alerts
    labels.py       labels and retrains
    search.py       the items' full-text index, and saved searches
    stories.py      alerts grouped by the event they report, and each chat's message of a story

Only this package imports sqlite_utils, and no method takes SQL text. Writes are idempotent: polling
again, re-importing a file or re-running a migration never creates a duplicate.
"""

from __future__ import annotations

from bot.store.alerts import AlertsMixin
from bot.store.feeds import FeedsMixin
from bot.store.items import ItemsMixin, item_from_row
from bot.store.labels import LabelsMixin
from bot.store.migrations import MIGRATIONS
from bot.store.search import SearchMixin
from bot.store.stories import StoriesMixin
from bot.store.subscribers import SubscribersMixin

__all__ = ["MIGRATIONS", "Store", "item_from_row"]


class Store(FeedsMixin, ItemsMixin, AlertsMixin, SubscribersMixin, LabelsMixin, SearchMixin, StoriesMixin):
    """The database: open it with ``Store.open(path)``; every method is one small transaction."""
