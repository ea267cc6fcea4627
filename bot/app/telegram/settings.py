"""/settings: the chat's settings with a button for each choice, and the text options (tz, quiet, hour)."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import BadRequest
from telegram.ext import ContextTypes

from bot.app.telegram.common import Edge, args_of
from bot.app.telegram.sink import markup
from bot.deliver import render
from bot.deliver.subscriptions import change_setting
from bot.errors import UsageError
from bot.texts import t

log = logging.getLogger(__name__)


class SettingsHandlers(Edge):
    async def settings(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        sub = self.subscriber(update)
        lang = self.lang(update, sub)
        if sub is None or not sub.active:
            await self.reply(update, t(lang, "not_subscribed"))
            return
        args = args_of(context)
        if args:  # /settings tz Europe/Rome, /settings quiet 22 7, /settings hour 8
            if not await self.may_change(update, context):
                await self.reply(update, t(lang, "settings_admins_only"))
                return
            try:
                sub = change_setting(sub, args[0].lower(), " ".join(args[1:]))
            except UsageError as e:  # every text option's usage, the one got wrong first
                first = str(e) if str(e) != "settings_usage" else "settings_quiet_usage"
                await self.reply(update, render.settings_usage(lang, first))
                return
            self.store.save_subscriber(sub, self.now())
        text, keyboard = render.settings_html(sub)
        await self.reply(update, text, keyboard)

    async def settings_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        _, key, value = query.data.split(":", 2)
        sub = self.store.subscriber(query.message.chat.id)
        lang = self.lang(update, sub)
        if sub is None:
            await query.answer(t(lang, "not_subscribed"), show_alert=True)
            return
        if not await self.may_change(update, context):
            await query.answer(t(lang, "settings_admins_only"), show_alert=True)
            return
        try:
            sub = self.store.save_subscriber(change_setting(sub, key, value), self.now())
        except UsageError:  # a button of an older keyboard: nothing to change
            await query.answer()
            return
        await query.answer(t(sub.ui_language, "settings_saved"))
        text, keyboard = render.settings_html(sub)
        try:
            await query.edit_message_text(text, reply_markup=markup(keyboard))
        except BadRequest as e:  # "message is not modified" when the same button is pressed twice
            log.debug("settings message not edited: %s", e.message)
