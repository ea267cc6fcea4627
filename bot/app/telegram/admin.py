"""What the admins listed in TIESWATCH_ADMINS can do: label by command, review items near the threshold,
retrain, and tune the feed list (/feeds, /addfeed, /rmfeed, /resume)."""

from __future__ import annotations

import html
from collections.abc import Callable

from telegram import Update
from telegram.ext import ContextTypes

from bot.app.telegram.common import Edge, args_of
from bot.app.telegram.sink import markup
from bot.deliver import render
from bot.deliver.render import esc
from bot.ingest import tuning
from bot.learn.labels import label_item, review_next
from bot.texts import t
from bot.types import Feed

_YES, _NO = ("yes", "1", "y"), ("no", "0", "n")


class AdminHandlers(Edge):
    async def admin_only(self, update: Update) -> str | None:
        """The admin's language, or None after telling a non-admin no."""
        lang = self.lang(update)
        if not self.is_admin(update):
            await self.say(update, t(lang, "admins_only"))
            return None
        return lang

    async def label_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if (lang := await self.admin_only(update)) is None:
            return
        args = args_of(context)
        if len(args) != 2 or args[1].lower() not in _YES + _NO:
            await self.reply(update, t(lang, "label_usage"))
            return
        item = self.store.find_item(args[0])
        if item is None:
            await self.reply(update, t(lang, "label_no_item"))
            return
        label = int(args[1].lower() in _YES)
        user, chat = update.effective_user.id, update.effective_chat.id
        label_item(self.store, item.id, user, chat, label, "command", True, self.now())
        await self.reply(update, t(lang, "label_done", label="yes" if label else "no") + f"\n{html.escape(item.title)}")

    async def retrain(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if (lang := await self.admin_only(update)) is None:
            return
        await self.reply(update, t(lang, "retrain_started"))
        force = "--force" in args_of(context) or "force" in args_of(context)
        # The report reaches every admin through AdminTasks.tell_admins when training is done.
        context.application.create_task(self.tasks.retrain("telegram /retrain", force=force))

    async def review(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if (lang := await self.admin_only(update)) is None:
            return
        await self.send_review(update.effective_chat.id, context, lang)

    async def send_review(self, chat_id: int, context: ContextTypes.DEFAULT_TYPE, lang: str) -> None:
        item = review_next(self.store, self.pipeline.classifier.model.threshold, self.now())
        if item is None:
            await context.bot.send_message(chat_id, t(lang, "review_none"))
            return
        text, keyboard = render.review_html(item, lang)
        await context.bot.send_message(chat_id, text, reply_markup=markup(keyboard))

    async def review_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        if (lang := await self.admin_only(update)) is None:
            return
        _, rowid, value = query.data.split(":")
        item_id = self.store.item_id_by_rowid(int(rowid))
        if item_id is None:
            await query.answer(t(lang, "label_unknown"))
            return
        label = int(value)
        label_item(self.store, item_id, query.from_user.id, query.message.chat.id, label, "review", True, self.now())
        await query.answer(t(lang, "label_saved_yes" if label else "label_saved_no"))
        await self.send_review(query.message.chat.id, context, lang)

    async def feeds(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if (lang := await self.admin_only(update)) is None:
            return
        rows = tuning.usefulness(self.store, self.pipeline.feeds(), self.now())
        for message in render.feeds_html(rows, lang):
            await self.reply(update, message)

    async def addfeed(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if (lang := await self.admin_only(update)) is None:
            return
        args = args_of(context)
        if not args:
            await self.reply(update, t(lang, "addfeed_usage"))
            return
        language = args[1].lower() if len(args) > 1 and len(args[1]) in (2, 3) and args[1].isalpha() else None
        name = " ".join(args[2:] if language else args[1:]) or None
        feed, count = await tuning.add(self.config, args[0], name=name, language=language)
        await self.reply(update, t(lang, "addfeed_done", name=esc(feed.name), items=count))

    async def rmfeed(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await self._feed_action(
            update, context, "rmfeed", lambda which: (tuning.remove(self.config, which), "rmfeed_done")
        )

    async def resume(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        def resume(which: str) -> tuple[Feed, str]:
            feed, was_paused = tuning.resume(self.config, self.store, which, self.now())
            return feed, "resume_done" if was_paused else "resume_not_paused"

        await self._feed_action(update, context, "resume", resume)

    async def _feed_action(
        self,
        update: Update,
        context: ContextTypes.DEFAULT_TYPE,
        name: str,
        action: Callable[[str], tuple[Feed, str]],
    ) -> None:
        """An admin command on one feed named by url or name: usage when it is missing; ``action`` returns the
        feed and the key of the reply."""
        if (lang := await self.admin_only(update)) is None:
            return
        which = " ".join(args_of(context))
        if not which:
            await self.reply(update, t(lang, f"{name}_usage"))
            return
        feed, reply = action(which)
        await self.reply(update, t(lang, reply, name=esc(feed.name)))
