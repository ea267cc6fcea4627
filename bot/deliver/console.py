"""The console sink: alerts printed to the terminal, for running before anyone has a Telegram token."""

from __future__ import annotations

import html
import re
import sys
from typing import TextIO

from bot.deliver.render import plain

CONSOLE_CHAT = 0  # the terminal is subscriber 0


class ConsoleSink:
    """Prints each message as a reader would see it; bold terms shown in *stars*."""

    def __init__(self, stream: TextIO | None = None):
        self.stream = stream or sys.stdout
        self.count = 0

    async def send(self, chat_id: int, html_text: str, buttons: list[tuple[str, str]] | None = None) -> int:
        self.count += 1
        text = re.sub(r"</?b>", "*", html_text)
        text = re.sub(r'<a href="([^"]*)">(.*?)</a>', lambda m: f"{m.group(2)}\n{html.unescape(m.group(1))}", text)
        rule = "─" * 72
        print(f"{rule}\n{plain(text)}\n", file=self.stream, flush=True)
        return self.count

    async def edit(self, chat_id: int, message_id: int, html_text: str, buttons: list | None = None) -> int:
        """A terminal cannot change what it printed: the message is printed again, marked as an update."""
        print(f"(update of message {message_id})", file=self.stream, flush=True)
        await self.send(chat_id, html_text, buttons)
        return message_id

    async def send_photo(self, chat_id: int, path: object, caption: str = "") -> None:
        print(f"{caption}: {path}\n", file=self.stream, flush=True)
