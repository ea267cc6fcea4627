"""Plain data: the records each hop of the flow hands to the next, and small pure helpers.

    Feed → (fetch) Validators → (parse) Item → (classify) Score → (decide) Alert, Plan → (deliver) Delivery

Everything here is a frozen dataclass; this module imports no I/O library, so the decision and rendering
code that needs these records stays pure and quick to import.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from classifier.excerpt import Excerpt

DEFAULT_INTERVAL = 600  # seconds between polls of a feed that does not say
SENSITIVITIES = ("strict", "normal", "broad")
MODES = ("instant", "hourly", "daily")
ITEM_LANGUAGES = ("it", "en", "ru", "uk", "ko", "de", "fr", "es", "pl")


def iso(t: datetime) -> str:
    """A UTC timestamp as the store keeps it (sortable text)."""
    return t.astimezone(UTC).isoformat(timespec="seconds")


def from_iso(s: str | None) -> datetime | None:
    return datetime.fromisoformat(s) if s else None


# ---------------------------------------------------------------- ingest


@dataclass(frozen=True)
class Feed:
    """One feed to poll.

    name: how people call it in tables and alerts ("ANSA Mondo").
    url: the http(s) address of the RSS/Atom document.
    language: ISO 639-1 code of the feed's language ("it"); items inherit it.
    interval: seconds between polls.
    line: where the entry starts in feeds.yaml (1-based), for messages; 0 when not from the file.
    """

    name: str
    url: str
    language: str
    interval: int = DEFAULT_INTERVAL
    line: int = 0


@dataclass(frozen=True)
class Validators:
    """What the server told us last time, sent back so an unchanged feed costs a 304."""

    etag: str | None = None
    last_modified: str | None = None


@dataclass(frozen=True)
class Item:
    """One news item, normalised.

    id: stable across polls: the guid, else the link without tracking parameters, else a hash of title and date.
    feed_url: the feed it came from.
    source: that feed's name.
    language: the feed's language code.
    title: plain text, may be empty.
    summary: plain text of the description, HTML stripped, entities decoded, whitespace collapsed.
    text: plain text of the full content when the feed carries one (paragraphs kept as lines), else "".
    link: http(s) address of the article, or None (a ``urn:`` id is not a link).
    published: when it was published, UTC; the fetch time when the feed does not say.
    fetched_at: when we first saw it, UTC.
    """

    id: str
    feed_url: str
    source: str
    language: str
    title: str
    summary: str
    text: str
    link: str | None
    published: datetime
    fetched_at: datetime


@dataclass(frozen=True)
class FeedState:
    """What the store knows of a feed between polls."""

    url: str
    validators: Validators
    error_streak: int
    next_attempt: datetime | None
    first_polled: datetime | None
    last_success: datetime | None
    last_error: str | None
    last_status: int | None


@dataclass(frozen=True)
class FetchRecord:
    """One line of the fetch log."""

    feed_url: str
    at: datetime
    status: int | None
    new_items: int
    error: str | None
    warning: str | None
    elapsed_ms: int
    bytes: int


@dataclass(frozen=True)
class FeedResult:
    """What one poll of one feed did.

    feed: the feed.
    status: the HTTP status (200, 304, 500...), None when no answer came.
    new: how many items this poll stored for the first time (the items themselves are not kept: a round of
        thousands of feeds must not hold them all).
    alerts: how many of them raised an alert.
    seen: how many items the document held.
    error: why the poll failed, None when it did not.
    warning: why the document was ill-formed although items were recovered.
    elapsed: seconds, fetch and parse.
    first_poll: True for a feed's first successful poll (its old items must not flood anyone).
    """

    feed: Feed
    status: int | None
    new: int = 0
    alerts: int = 0
    seen: int = 0
    error: str | None = None
    warning: str | None = None
    elapsed: float = 0.0
    first_poll: bool = False

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass(frozen=True)
class StoryText:
    """What the same-story measure compares of an item.

    title: the headline.
    body: the summary, else the start of the full text.
    language: ISO 639-1 code.
    """

    title: str
    body: str
    language: str

    @classmethod
    def of(cls, item: Item) -> StoryText:
        return cls(item.title, item.summary or item.text[:600], item.language)


# ---------------------------------------------------------------- classify


@dataclass(frozen=True)
class Score:
    """The model's verdict on one item.

    item_id: the item scored.
    score: calibrated probability that the item is about DPRK–Russia military ties.
    relevant: score at or above the model's normal threshold.
    why: the terms that drove the score.
    excerpt: at most 280 characters of the item's own text, decisive terms marked.
    model_version: which model said so.
    """

    item_id: str
    score: float
    relevant: bool
    why: tuple[str, ...]
    excerpt: Excerpt
    model_version: str


# ---------------------------------------------------------------- decide and deliver


@dataclass(frozen=True)
class Alert:
    """An item judged relevant, ready to fan out.

    id: the alert's row id (the outbox refers to it).
    item: the news item.
    score: its calibrated score.
    why: the terms that drove the score.
    excerpt: the excerpt shown under the title.
    created_at: when the alert was raised.
    story_id: the first alert of the story this one reports on again (the same event, another outlet or
        language); None when this alert is the first.
    """

    id: int
    item: Item
    score: float
    why: tuple[str, ...]
    excerpt: Excerpt
    created_at: datetime
    story_id: int | None = None

    @property
    def story(self) -> int:
        """The id of the story's first alert (this alert's own id when it is the first)."""
        return self.story_id or self.id


@dataclass(frozen=True)
class Plan:
    """How one subscriber gets one alert: on its own now, or in a digest at ``due_at``.

    kind: "alert", a message of its own; "also", a later report of a story the chat already has a message
        of, which that message is edited to name ("also: ANSA, Meduza").
    """

    alert_id: int
    chat_id: int
    digest: bool
    due_at: datetime
    kind: str = "alert"


@dataclass(frozen=True)
class Delivery:
    """One message for one chat, as the outbox sends it.

    ids: the outbox rows it settles (one alert, or every alert of a digest part).
    chat_id: where it goes.
    html: the message.
    buttons: (label, callback data) under it; None for digests.
    edit: the id of the message already in the chat that this one replaces (a story's "also: ..."), or None
        for a new message.
    """

    ids: tuple[int, ...]
    chat_id: int
    html: str
    buttons: list[tuple[str, str]] | None
    edit: int | None = None


@dataclass(frozen=True)
class Subscriber:
    """A chat that receives alerts.

    chat_id: Telegram chat id (a user, a group or a channel).
    kind: private, group, supergroup or channel.
    title: the chat's name, for lists.
    ui_language: the bot's language in this chat (en, it, ...).
    sensitivity: strict, normal or broad, mapped to the model's thresholds.
    languages: item languages wanted; empty means all.
    mode: instant, hourly (digest every hour) or daily (digest at ``digest_hour``).
    digest_hour: local hour of the daily digest.
    quiet_start, quiet_end: local hours between which alerts are held, then sent as one digest; None = off.
    timezone: IANA name for the local hours.
    active: False after /stop or when Telegram says the bot was blocked or removed.
    every_report: a message for every report of a story; by default later reports are added to the first
        alert's message ("also: ...").
    """

    chat_id: int
    kind: str = "private"
    title: str = ""
    ui_language: str = "en"
    sensitivity: str = "normal"
    languages: tuple[str, ...] = ()
    mode: str = "instant"
    digest_hour: int = 8
    quiet_start: int | None = None
    quiet_end: int | None = None
    timezone: str = "UTC"
    active: bool = True
    every_report: bool = False

    @property
    def tz(self) -> ZoneInfo:
        try:
            return ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            return ZoneInfo("UTC")

    @property
    def is_group(self) -> bool:
        return self.kind in ("group", "supergroup")


# ---------------------------------------------------------------- what the bot reports


@dataclass(frozen=True)
class Recent:
    """A flagged item for /recent."""

    title: str
    link: str | None
    source: str
    published: datetime
    score: float


@dataclass(frozen=True)
class Found:
    """A stored item that matched a search.

    item_id, title, link, source, language, published: the item's.
    score: the model's score, None for an item never scored.
    relevant: whether the model flagged it.
    snippet: the words around the match, the matched words marked.
    """

    item_id: str
    title: str
    link: str | None
    source: str
    language: str
    published: datetime
    score: float | None
    relevant: bool
    snippet: Excerpt


@dataclass(frozen=True)
class SearchPage:
    """One page of a search's results, newest first.

    search_id: the saved search the page's buttons refer to (0 when it was not saved, as on the command line).
    words: what was searched for, as typed.
    relevant_only: only items the model flagged.
    offset: how many results come before this page.
    total: how many results there are in all.
    found: this page's results.
    """

    search_id: int
    words: str
    relevant_only: bool
    offset: int
    total: int
    found: tuple[Found, ...]


@dataclass(frozen=True)
class Status:
    """The bot's state for /status."""

    feeds: int
    failing: int
    last_poll: datetime | None
    model: str
    threshold: float
    alerts_today: int


@dataclass(frozen=True)
class ReviewItem:
    """An item worth a label: its score lies close to the threshold, where a label teaches the model most."""

    rowid: int
    item_id: str
    title: str
    summary: str
    link: str | None
    source: str
    score: float


@dataclass(frozen=True)
class Usefulness:
    """A feed's last 30 days: items a day, the share flagged relevant, the last relevant item, its health."""

    feed: Feed
    items_per_day: float
    relevant_share: float
    last_relevant: datetime | None
    error_streak: int
    last_error: str | None
    paused: bool
    last_success: datetime | None = field(default=None)
    next_attempt: datetime | None = field(default=None)  # when the feed is polled next (later while it backs off)
