"""What every handler shares: who is asking, in which language, whether they may change the chat's
settings, how to reply; and the one place where the core's errors become a reply."""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from telegram import Update
from telegram.constants import ChatMemberStatus
from telegram.ext import ContextTypes

from bot.app.admin_tasks import AdminTasks
from bot.app.telegram.sink import markup
from bot.config import Config
from bot.deliver.render import Keyboard, esc
from bot.errors import TieswatchError, UsageError
from bot.pipeline import Pipeline
from bot.texts import known, pick, t
from bot.types import Subscriber

log = logging.getLogger(__name__)
Callback = Callable[[Update, ContextTypes.DEFAULT_TYPE], Awaitable[None]]


def args_of(context: ContextTypes.DEFAULT_TYPE) -> list[str]:
    return list(context.args or [])


class Edge:
    """The core as the handlers see it: configuration, pipeline, admin tasks, and the clock."""

    def __init__(
        self,
        config: Config,
        pipeline: Pipeline,
        tasks: AdminTasks,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ):
        self.config = config
        self.pipeline = pipeline
        self.tasks = tasks
        self.store = pipeline.store
        self.now = now

    def subscriber(self, update: Update) -> Subscriber | None:
        chat = update.effective_chat
        return self.store.subscriber(chat.id) if chat else None

    def lang(self, update: Update, sub: Subscriber | None = None) -> str:
        """The chat's language if it is subscribed, else the user's Telegram language (English by default)."""
        sub = sub or self.subscriber(update)
        if sub is not None:
            return sub.ui_language
        user = update.effective_user
        return pick(user.language_code if user else None)

    def is_admin(self, update: Update) -> bool:
        user = update.effective_user
        return bool(user and user.id in self.config.admins)

    async def may_change(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
        """In a group only its admins change what the group receives; in private chats, the user."""
        chat = update.effective_chat
        if chat is None or chat.type == "private" or self.is_admin(update):
            return True
        member = await context.bot.get_chat_member(chat.id, update.effective_user.id)
        return member.status in (ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.OWNER)

    async def reply(self, update: Update, text: str, keyboard: Keyboard | None = None) -> None:
        await update.effective_chat.send_message(text, reply_markup=markup(keyboard))

    async def say(self, update: Update, text: str) -> None:
        """A short answer: to the button pressed, or as a message."""
        if update.callback_query is not None:
            await update.callback_query.answer(text[:200], show_alert=True)
        else:
            await self.reply(update, text)

    def guarded(self, callback: Callback) -> Callback:
        """``callback`` with the core's errors answered: a usage text for a UsageError (its message is the
        text's key), "That did not work: ..." for any other TieswatchError. Anything else is a bug: it goes
        to the application's error handler, which logs it with its traceback."""

        @functools.wraps(callback)
        async def run(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
            try:
                await callback(update, context)
            except UsageError as e:
                lang = self.lang(update)
                await self.say(update, t(lang, str(e)) if known(str(e)) else esc(str(e)))
            except TieswatchError as e:
                await self.say(update, t(self.lang(update), "failed", error=esc(str(e))))

        return run
