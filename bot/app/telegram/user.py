"""What every user can do: subscribe, stop, help, status, recent flagged items, search the stored items (and
page through the results), and label an alert with its buttons."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import BadRequest
from telegram.ext import ContextTypes

from bot.app.telegram.common import Edge, args_of
from bot.app.telegram.sink import markup
from bot.deliver import render
from bot.deliver.render_search import SEARCH_PAGE, search_html
from bot.deliver.subscriptions import subscribe, unsubscribe
from bot.errors import UsageError
from bot.learn.labels import label_alert
from bot.store.search import fts_query
from bot.texts import pick, t

log = logging.getLogger(__name__)


def parse_count(args: list[str], default: int = 5, maximum: int = 20) -> int:
    """/recent [N]: N from 1 to ``maximum``."""
    if not args:
        return default
    if len(args) == 1 and args[0].isdigit() and 1 <= int(args[0]) <= maximum:
        return int(args[0])
    raise UsageError("recent_usage")


class UserHandlers(Edge):
    async def start(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        chat, user = update.effective_chat, update.effective_user
        lang = pick(user.language_code if user else None)
        if not await self.may_change(update, context):
            await self.reply(update, t(lang, "settings_admins_only"))
            return
        title = chat.title or (user.full_name if user else "") or ""
        sub, new = subscribe(self.store, chat.id, chat.type, title, lang, self.now())
        await self.reply(update, t(sub.ui_language, "welcome" if new else "welcome_back"))

    async def stop(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        sub = self.subscriber(update)
        lang = self.lang(update, sub)
        if not await self.may_change(update, context):
            await self.reply(update, t(lang, "settings_admins_only"))
            return
        if sub is None or not sub.active:
            await self.reply(update, t(lang, "not_subscribed"))
            return
        unsubscribe(self.store, sub.chat_id, self.now())
        await self.reply(update, t(lang, "stopped"))

    async def help(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await self.reply(update, render.help_text(self.lang(update), self.is_admin(update)))

    async def unknown(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        chat = update.effective_chat
        if chat.type != "private" and not (update.message and (update.message.text or "").startswith("/")):
            return  # ordinary conversation in a group is none of the bot's business
        lang = self.lang(update)
        await self.reply(update, f"{t(lang, 'unknown')}\n\n{render.help_text(lang, self.is_admin(update))}")

    async def status(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        sub = self.subscriber(update)
        lang = self.lang(update, sub)
        await self.reply(update, render.status_html(self.pipeline.status(self.now()), sub, lang))

    async def recent(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        n = parse_count(args_of(context))
        for message in render.recent_html(self.store.recent_flagged(n), self.lang(update)):
            await self.reply(update, message)

    async def search(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        words = " ".join(args_of(context))
        if fts_query(words) is None:
            raise UsageError("search_usage")
        search_id = self.store.save_search(update.effective_chat.id, words, self.now())
        page = self.store.search_items(words, limit=SEARCH_PAGE, search_id=search_id)
        await self.reply(update, *search_html(page, self.lang(update)))

    async def search_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """◀ Newer, Older ▶, only flagged / every item: the same message shows the page asked for."""
        query = update.callback_query
        try:
            _, search_id, offset, relevant = query.data.split(":")
            search_id, offset, relevant_only = int(search_id), max(0, int(offset)), relevant == "1"
        except ValueError:  # not our callback data: nothing to do
            await query.answer()
            return
        lang = self.lang(update)
        words = self.store.saved_search(search_id, query.message.chat.id)
        if words is None:
            await query.answer(t(lang, "search_expired"), show_alert=True)
            return
        page = self.store.search_items(
            words, relevant_only=relevant_only, limit=SEARCH_PAGE, offset=offset, search_id=search_id
        )
        text, keyboard = search_html(page, lang)
        await query.answer()
        try:
            await query.edit_message_text(text, reply_markup=markup(keyboard))
        except BadRequest as e:  # "message is not modified" when the same button is pressed twice
            log.debug("search results not edited: %s", e.message)

    async def label_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        try:
            _, alert_id, value = query.data.split(":")
            alert, label = int(alert_id), int(value)
        except ValueError:  # not our callback data: nothing to do
            await query.answer()
            return
        lang = self.lang(update)
        chat_id = query.message.chat.id
        item = label_alert(self.store, alert, query.from_user.id, chat_id, label, self.is_admin(update), self.now())
        if item is None:
            await query.answer(t(lang, "label_unknown"))
            return
        await query.answer(t(lang, "label_saved_yes" if label else "label_saved_no"))
