"""The bot's words, one JSON file per language in bot/locales: another language is a file, not a code change."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

LOCALES = Path(__file__).resolve().parent / "locales"
DEFAULT = "en"


@cache
def _table(lang: str) -> dict[str, str]:
    path = LOCALES / f"{lang}.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def languages() -> list[str]:
    return sorted(p.stem for p in LOCALES.glob("*.json"))


def pick(language_code: str | None) -> str:
    """The bot language for a Telegram ``language_code`` such as "it" or "en-GB"; English otherwise."""
    code = (language_code or "").split("-")[0].lower()
    return code if code in languages() else DEFAULT


def t(lang: str, key: str, **values: object) -> str:
    """The text ``key`` in ``lang`` (English when missing), with ``values`` filled in.

    Values are inserted as given: callers escape feed text before passing it.
    """
    text = _table(lang).get(key) or _table(DEFAULT)[key]
    return text.format(**values) if values else text


def known(key: str) -> bool:
    """Whether ``key`` names one of the bot's texts."""
    return key in _table(DEFAULT)
