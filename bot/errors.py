"""One error tree for everything a user (or a feed, or Telegram) can cause.

    TieswatchError                  the message says what went wrong and what to do about it
    ├── ConfigError                 environment, options, files
    │   └── FeedsFileError          feeds.yaml, every mistake with its line
    ├── UsageError                  a command called with arguments it does not accept
    ├── InputError                  a file a person gave us (labels, examples)
    │   └── BadLine                 one unusable JSON Lines record, with its line number
    ├── FeedError                   one feed's trouble: a value in the poll's result, never a stop
    │   ├── FetchError              network, HTTP status, size or redirect limits
    │   │   └── AddressRefused      an address the bot may not connect to (loopback, private...)
    │   └── ParseError              a document that held nothing usable
    ├── ModelError                  model files
    │   ├── NoModel                 the version asked for does not exist
    │   └── UntrustedModel          a file holding types a tieswatch model never contains
    └── DeliveryError               what the outbox does with one message
        ├── Blocked                 the chat is gone for us: stop sending to it
        ├── RetryLater              Telegram asked us to wait before writing to this chat again
        ├── Transient               network trouble or a server error: try again later
        └── Rejected                Telegram refused this message itself: sending it again fails again

Third-party exceptions are wrapped where they enter (``raise FetchError(...) from e``); anything that is
not a ``TieswatchError`` is a bug and is allowed to raise. The CLI's ``main`` and the Telegram edge each
catch the tree once. This module imports nothing, so every layer (``classifier/`` included) can use it.
"""

from __future__ import annotations


class TieswatchError(Exception):
    """Base class: the message says what went wrong and what to do about it."""


class ConfigError(TieswatchError):
    """The configuration (environment, options, files) is unusable."""


class FeedsFileError(ConfigError):
    """feeds.yaml has one or more mistakes; ``problems`` lists each with its line."""

    def __init__(self, path: str, problems: list[str]):
        self.path = path
        self.problems = problems
        super().__init__("\n".join(problems))


class UsageError(TieswatchError):
    """A command was called with arguments it does not accept."""


class InputError(TieswatchError):
    """A file given to a command cannot be used as it is."""


class BadLine(InputError, ValueError):
    """A JSON Lines record that cannot be used; ``line`` is 1-based, ``source`` names the file when known."""

    def __init__(self, line: int, reason: str, source: str = ""):
        self.line = line
        self.reason = reason
        super().__init__(f"{source + ' ' if source else ''}line {line}: {reason}")


class FeedError(TieswatchError):
    """Something wrong with one feed; ``reason`` is what the feed list shows."""

    def __init__(self, url: str, reason: str):
        self.url = url
        self.reason = reason
        super().__init__(f"{url}: {reason}")


class FetchError(FeedError):
    """A feed could not be fetched (network, HTTP status, size or redirect limits)."""

    def __init__(self, url: str, reason: str, status: int | None = None):
        super().__init__(url, reason)
        self.status = status


class AddressRefused(FetchError):
    """A host that is (or resolves to) an address the bot may not connect to: loopback, private, link-local,
    multicast or reserved, unless the admin allowed it."""


class ParseError(FeedError):
    """A feed document held nothing usable."""


class ModelError(TieswatchError):
    """A model file cannot be found or used."""


class NoModel(ModelError, LookupError):
    """The model version asked for does not exist."""


class UntrustedModel(ModelError, ValueError):
    """A model file holds types a tieswatch model never contains; it is refused unread."""


class DeliveryError(TieswatchError):
    """The outcome of one send, as the outbox needs to know it (raised by a sink)."""


class Blocked(DeliveryError):
    """The chat is gone for us (bot blocked, kicked, chat deleted): stop sending to it."""


class RetryLater(DeliveryError):
    """Telegram asked us to wait ``seconds`` before writing to this chat again."""

    def __init__(self, seconds: float):
        super().__init__(f"retry after {seconds} s")
        self.seconds = seconds


class Transient(DeliveryError):
    """Network trouble or a server error: the same message may go through later."""


class Rejected(DeliveryError):
    """Telegram refused this message itself (400): sending it again would fail again."""
