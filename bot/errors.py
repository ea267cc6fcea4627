"""One error tree for everything a user can act on.

Third-party exceptions are wrapped where they enter (``raise FetchError(...) from e``); anything that is
not a ``TieswatchError`` is a bug and is allowed to raise.
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


class FetchError(TieswatchError):
    """A feed could not be fetched (network, HTTP status, size or redirect limits)."""

    def __init__(self, url: str, reason: str, status: int | None = None):
        self.url = url
        self.reason = reason
        self.status = status
        super().__init__(f"{url}: {reason}")


class ParseError(TieswatchError):
    """A feed document held nothing usable."""

    def __init__(self, url: str, reason: str):
        self.url = url
        self.reason = reason
        super().__init__(f"{url}: {reason}")


class UsageError(TieswatchError):
    """A command was called with arguments it does not accept."""
