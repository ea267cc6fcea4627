"""The outbox's sink on Telegram: sends through python-telegram-bot and turns Telegram's errors into the
outbox's (Forbidden -> Blocked, RetryAfter -> RetryLater, network and 5xx -> Transient, BadRequest -> Rejected).
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Iterator
from pathlib import Path

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError, TimedOut
from telegram.warnings import PTBDeprecationWarning

from bot.deliver.render import Keyboard
from bot.errors import Blocked, Rejected, RetryLater, Transient


def markup(keyboard: Keyboard | None) -> InlineKeyboardMarkup | None:
    """Telegram's inline keyboard for rows of (label, callback data)."""
    if not keyboard:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(label, callback_data=data) for label, data in row] for row in keyboard]
    )


@contextlib.contextmanager
def translated_errors() -> Iterator[None]:
    """Telegram's errors as the outbox understands them."""
    try:
        yield
    except RetryAfter as e:
        with warnings.catch_warnings():  # PTB 22 warns that retry_after will become a timedelta
            warnings.simplefilter("ignore", PTBDeprecationWarning)
            retry = e.retry_after
        retry = retry.total_seconds() if hasattr(retry, "total_seconds") else retry
        raise RetryLater(float(retry)) from e
    except Forbidden as e:
        raise Blocked(e.message) from e
    except BadRequest as e:
        if "chat not found" in e.message.lower():
            raise Blocked(e.message) from e
        raise Rejected(e.message) from e
    except (TimedOut, NetworkError) as e:
        raise Transient(e.message) from e
    except TelegramError as e:  # 5xx and the like arrive as plain TelegramError
        raise Transient(e.message) from e


# The outbox's messages are HTML without link previews whatever bot it is given (the application's own bot
# has these as its ``Defaults``; a bare ``Bot``, as in the fan-out benchmark, does not).
_HTML = {"parse_mode": ParseMode.HTML, "link_preview_options": LinkPreviewOptions(is_disabled=True)}


class TelegramSink:
    """Sends outbox messages through python-telegram-bot."""

    def __init__(self, bot: Bot):
        self.bot = bot

    async def send(self, chat_id: int, html_text: str, buttons: list[tuple[str, str]] | None = None) -> int | None:
        keyboard = markup([buttons] if buttons else None)
        with translated_errors():
            message = await self.bot.send_message(chat_id, html_text, reply_markup=keyboard, **_HTML)
        return message.message_id

    async def edit(
        self, chat_id: int, message_id: int, html_text: str, buttons: list[tuple[str, str]] | None = None
    ) -> int | None:
        keyboard = markup([buttons] if buttons else None)  # Telegram drops a keyboard not given again
        try:
            with translated_errors():
                await self.bot.edit_message_text(
                    html_text, chat_id=chat_id, message_id=message_id, reply_markup=keyboard, **_HTML
                )
        except Rejected as e:
            if "not modified" not in str(e).lower():
                raise
            # The message already says this (an update sent just before a crash): nothing left to do.
        return message_id

    async def send_photo(self, chat_id: int, path: Path, caption: str = "") -> None:
        with translated_errors(), open(path, "rb") as f:
            await self.bot.send_photo(chat_id, f, caption=caption)
