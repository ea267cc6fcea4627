"""The Telegram edge: one wiring function and thin handlers that parse, call the core and reply.

This is the only module that imports ``telegram``. It also turns Telegram's errors into the outbox's
(Forbidden -> Blocked, RetryAfter -> RetryLater, network and 5xx -> Transient, BadRequest -> Rejected).
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import logging
import warnings
from collections.abc import Callable
from datetime import UTC, datetime

from telegram import (
    BotCommand,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    LinkPreviewOptions,
    Update,
)
from telegram.constants import ChatMemberStatus, ParseMode
from telegram.error import (
    BadRequest,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)
from telegram.warnings import PTBDeprecationWarning

from bot import actions, feedlist, subscribers
from bot.config import Config
from bot.errors import ConfigError, TieswatchError, UsageError
from bot.operations import Operations
from bot.outbox import Blocked, Rejected, RetryLater, Transient
from bot.pipeline import Pipeline
from bot.render import esc
from bot.texts import pick, t

log = logging.getLogger(__name__)


class TelegramSink:
    """Sends outbox messages through python-telegram-bot."""

    def __init__(self, bot: object):
        self.bot = bot

    async def send(self, chat_id: int, html_text: str, buttons: list[tuple[str, str]] | None = None) -> int | None:
        markup = (
            InlineKeyboardMarkup([[InlineKeyboardButton(label, callback_data=data) for label, data in buttons]])
            if buttons
            else None
        )
        try:
            message = await self.bot.send_message(
                chat_id,
                html_text,
                parse_mode=ParseMode.HTML,
                reply_markup=markup,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
            )
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
        return message.message_id

    async def send_photo(self, chat_id: int, path: object, caption: str = "") -> None:
        with open(path, "rb") as f:
            await self.bot.send_photo(chat_id, f, caption=caption)


def _lang(update: Update, sub: subscribers.Subscriber | None) -> str:
    if sub is not None:
        return sub.ui_language
    user = update.effective_user
    return pick(user.language_code if user else None)


def _args(context: ContextTypes.DEFAULT_TYPE) -> list[str]:
    return list(context.args or [])


class Handlers:
    """The bot's commands. Each reads the update, calls the core, and replies."""

    def __init__(
        self,
        config: Config,
        pipeline: Pipeline,
        operations: Operations,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ):
        self.config = config
        self.pipeline = pipeline
        self.operations = operations
        self.store = pipeline.store
        self.now = now

    # ------------------------------------------------------------ helpers

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

    async def reply(self, update: Update, text: str, markup: InlineKeyboardMarkup | None = None) -> None:
        await update.effective_chat.send_message(
            text,
            parse_mode=ParseMode.HTML,
            reply_markup=markup,
            link_preview_options=LinkPreviewOptions(is_disabled=True),
        )

    def help_text(self, update: Update, lang: str) -> str:
        text = t(lang, "help")
        return text + t(lang, "help_admin") if self.is_admin(update) else text

    # ------------------------------------------------------------ commands

    async def start(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        chat, user = update.effective_chat, update.effective_user
        lang = pick(user.language_code if user else None)
        if not await self.may_change(update, context):
            await self.reply(update, t(lang, "settings_admins_only"))
            return
        title = chat.title or (user.full_name if user else "") or ""
        sub, new = subscribers.subscribe(self.store, chat.id, chat.type, title, lang, self.now())
        await self.reply(update, t(sub.ui_language, "welcome" if new else "welcome_back"))

    async def stop(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        sub = subscribers.get(self.store, update.effective_chat.id)
        lang = _lang(update, sub)
        if not await self.may_change(update, context):
            await self.reply(update, t(lang, "settings_admins_only"))
            return
        if sub is None or not sub.active:
            await self.reply(update, t(lang, "not_subscribed"))
            return
        actions.unsubscribe(self.store, sub.chat_id, self.now())
        await self.reply(update, t(lang, "stopped"))

    async def help(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        lang = _lang(update, subscribers.get(self.store, update.effective_chat.id))
        await self.reply(update, self.help_text(update, lang))

    async def unknown(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        chat = update.effective_chat
        if chat.type != "private" and not (update.message and (update.message.text or "").startswith("/")):
            return  # ordinary conversation in a group is none of the bot's business
        lang = _lang(update, subscribers.get(self.store, chat.id))
        await self.reply(update, f"{t(lang, 'unknown')}\n\n{self.help_text(update, lang)}")

    async def status(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        sub = subscribers.get(self.store, update.effective_chat.id)
        lang = _lang(update, sub)
        model = self.pipeline.classifier.model
        try:
            feeds = len(self.pipeline.feeds())
        except Exception:  # noqa: BLE001 - a broken feeds.yaml must not break /status; the log says why
            feeds = 0
        s = actions.status(self.store, feeds, self.pipeline.last_poll, model.version, model.threshold, self.now())
        settings = (
            t(lang, "not_subscribed")
            if sub is None or not sub.active
            else "; ".join(actions.describe(sub, lang).values())
        )
        last = s.last_poll.strftime("%Y-%m-%d %H:%M UTC") if s.last_poll else "–"
        await self.reply(
            update,
            t(
                lang,
                "status",
                feeds=s.feeds,
                failing=s.failing,
                last_poll=last,
                model=esc(s.model),
                threshold=f"{s.threshold:.2f}",
                alerts_today=s.alerts_today,
                settings=esc(settings),
            ),
        )

    async def recent(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        lang = _lang(update, subscribers.get(self.store, update.effective_chat.id))
        try:
            n = actions.parse_count(_args(context))
        except UsageError as e:
            await self.reply(update, t(lang, str(e)))
            return
        items = actions.recent(self.store, n)
        if not items:
            await self.reply(update, t(lang, "recent_none"))
            return
        lines = [t(lang, "recent_header", n=len(items))]
        for r in items:
            title = esc(r.title or r.source)
            link = f'<a href="{esc(r.link)}">{title}</a>' if r.link else title
            lines.append(f"• {link}\n  {esc(r.source)} · {r.published:%Y-%m-%d %H:%M} UTC · {r.score:.2f}")
        await self.reply(update, "\n".join(lines))

    # ------------------------------------------------------------ settings

    def settings_view(self, sub: subscribers.Subscriber) -> tuple[str, InlineKeyboardMarkup]:
        lang = sub.ui_language

        def mark(on: bool, label: str) -> str:
            return f"✓ {label}" if on else label

        rows = [
            [
                InlineKeyboardButton(
                    mark(sub.sensitivity == s, t(lang, f"sensitivity_{s}")), callback_data=f"set:sens:{s}"
                )
                for s in subscribers.SENSITIVITIES
            ],
            [
                InlineKeyboardButton(
                    mark(sub.mode == "instant", t(lang, "mode_instant")), callback_data="set:mode:instant"
                ),
                InlineKeyboardButton(
                    mark(sub.mode == "hourly", t(lang, "mode_hourly")), callback_data="set:mode:hourly"
                ),
                InlineKeyboardButton(
                    mark(sub.mode == "daily", t(lang, "mode_daily", hour=sub.digest_hour)),
                    callback_data="set:mode:daily",
                ),
            ],
            [InlineKeyboardButton(mark(not sub.languages, t(lang, "all_languages")), callback_data="set:lang:all")]
            + [
                InlineKeyboardButton(mark(code in sub.languages, code), callback_data=f"set:lang:{code}")
                for code in actions.ITEM_LANGUAGES[:4]
            ],
            [
                InlineKeyboardButton(mark(code in sub.languages, code), callback_data=f"set:lang:{code}")
                for code in actions.ITEM_LANGUAGES[4:]
            ],
            [
                InlineKeyboardButton(
                    mark(sub.quiet_start is None, t(lang, "quiet_off")), callback_data="set:quiet:off"
                ),
                InlineKeyboardButton(
                    mark(sub.quiet_start == 22 and sub.quiet_end == 7, "🌙 22–7"), callback_data="set:quiet:22-7"
                ),
            ],
            [
                InlineKeyboardButton(mark(sub.ui_language == "en", "English"), callback_data="set:ui:en"),
                InlineKeyboardButton(mark(sub.ui_language == "it", "Italiano"), callback_data="set:ui:it"),
            ],
        ]
        text = t(lang, "settings", **{k: esc(v) for k, v in actions.describe(sub, lang).items()})
        return text, InlineKeyboardMarkup(rows)

    async def settings(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        sub = subscribers.get(self.store, update.effective_chat.id)
        lang = _lang(update, sub)
        if sub is None or not sub.active:
            await self.reply(update, t(lang, "not_subscribed"))
            return
        args = _args(context)
        if args:  # /settings tz Europe/Rome, /settings quiet 22 7, /settings hour 8
            if not await self.may_change(update, context):
                await self.reply(update, t(lang, "settings_admins_only"))
                return
            try:
                sub = actions.change_setting(sub, args[0].lower(), " ".join(args[1:]))
            except UsageError as e:
                key = str(e) if str(e) != "settings_usage" else "settings_quiet_usage"
                await self.reply(
                    update,
                    "\n".join(
                        t(lang, k)
                        for k in dict.fromkeys(
                            [key, "settings_tz_usage", "settings_quiet_usage", "settings_hour_usage"]
                        )
                    ),
                )
                return
            subscribers.save(self.store, sub, self.now())
        text, markup = self.settings_view(sub)
        await self.reply(update, text, markup)

    async def settings_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        _, key, value = query.data.split(":", 2)
        sub = subscribers.get(self.store, query.message.chat.id)
        lang = _lang(update, sub)
        if sub is None:
            await query.answer(t(lang, "not_subscribed"), show_alert=True)
            return
        if not await self.may_change(update, context):
            await query.answer(t(lang, "settings_admins_only"), show_alert=True)
            return
        try:
            sub = subscribers.save(self.store, actions.change_setting(sub, key, value), self.now())
        except UsageError:
            await query.answer()
            return
        await query.answer(t(sub.ui_language, "settings_saved"))
        text, markup = self.settings_view(sub)
        try:
            await query.edit_message_text(text, parse_mode=ParseMode.HTML, reply_markup=markup)
        except BadRequest as e:  # "message is not modified" when the same button is pressed twice
            log.debug("settings message not edited: %s", e.message)

    # ------------------------------------------------------------ labels

    async def label_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        try:
            _, alert_id, value = query.data.split(":")
            alert, label = int(alert_id), int(value)
        except ValueError:
            await query.answer()
            return
        sub = subscribers.get(self.store, query.message.chat.id)
        lang = _lang(update, sub)
        item = actions.label_alert(
            self.store, alert, query.from_user.id, query.message.chat.id, label, self.is_admin(update), self.now()
        )
        if item is None:
            await query.answer(t(lang, "label_unknown"))
            return
        await query.answer(t(lang, "label_saved_yes" if label else "label_saved_no"))

    async def label_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        lang = _lang(update, subscribers.get(self.store, update.effective_chat.id))
        if not self.is_admin(update):
            await self.reply(update, t(lang, "admins_only"))
            return
        args = _args(context)
        if len(args) != 2 or args[1].lower() not in ("yes", "no", "1", "0", "y", "n"):
            await self.reply(update, t(lang, "label_usage"))
            return
        item = self.store.find_item(args[0])
        if item is None:
            await self.reply(update, t(lang, "label_no_item"))
            return
        label = int(args[1].lower() in ("yes", "1", "y"))
        actions.label_item(
            self.store, item.id, update.effective_user.id, update.effective_chat.id, label, "command", True, self.now()
        )
        await self.reply(update, t(lang, "label_done", label="yes" if label else "no") + f"\n{html.escape(item.title)}")

    # ------------------------------------------------------------ admin: retrain, review, feeds

    async def admin_only(self, update: Update) -> str | None:
        """The admin's language, or None after telling a non-admin no."""
        lang = _lang(update, subscribers.get(self.store, update.effective_chat.id))
        if not self.is_admin(update):
            await self.reply(update, t(lang, "admins_only"))
            return None
        return lang

    async def retrain(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if (lang := await self.admin_only(update)) is None:
            return
        await self.reply(update, t(lang, "retrain_started"))
        force = "--force" in _args(context) or "force" in _args(context)
        # The report reaches every admin through Operations.tell_admins when training is done.
        context.application.create_task(self.operations.retrain("telegram /retrain", force=force))

    async def review(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if (lang := await self.admin_only(update)) is None:
            return
        await self.send_review(update.effective_chat.id, context, lang)

    async def send_review(self, chat_id: int, context: ContextTypes.DEFAULT_TYPE, lang: str) -> None:
        model = self.pipeline.classifier.model
        item = actions.review_next(self.store, model.threshold, self.now())
        if item is None:
            await context.bot.send_message(chat_id, t(lang, "review_none"))
            return
        title = esc(item.title or item.source)
        if item.link:
            title = f'<a href="{esc(item.link)}">{title}</a>'
        summary = esc(item.summary[:300])
        markup = InlineKeyboardMarkup(
            [
                [
                    InlineKeyboardButton(t(lang, "btn_relevant"), callback_data=f"rev:{item.rowid}:1"),
                    InlineKeyboardButton(t(lang, "btn_not_relevant"), callback_data=f"rev:{item.rowid}:0"),
                ]
            ]
        )
        await context.bot.send_message(
            chat_id,
            t(lang, "review_item", score=f"{item.score:.2f}", title=title, source=esc(item.source), summary=summary),
            parse_mode=ParseMode.HTML,
            reply_markup=markup,
            link_preview_options=LinkPreviewOptions(is_disabled=True),
        )

    async def review_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        lang = _lang(update, subscribers.get(self.store, query.message.chat.id))
        if not self.is_admin(update):
            await query.answer(t(lang, "admins_only"), show_alert=True)
            return
        _, rowid, value = query.data.split(":")
        item_id = actions.item_by_rowid(self.store, int(rowid))
        if item_id is None:
            await query.answer(t(lang, "label_unknown"))
            return
        label = int(value)
        actions.label_item(
            self.store, item_id, query.from_user.id, query.message.chat.id, label, "review", True, self.now()
        )
        await query.answer(t(lang, "label_saved_yes" if label else "label_saved_no"))
        await self.send_review(query.message.chat.id, context, lang)

    async def feeds(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if (lang := await self.admin_only(update)) is None:
            return
        rows = feedlist.usefulness(self.store, self.pipeline.feeds(), self.now())
        lines = [t(lang, "feeds_header")]
        for u in rows:
            state = "⏸ " if u.paused else ("⚠️ " if u.error_streak else "")
            last = f", last relevant {u.last_relevant:%Y-%m-%d}" if u.last_relevant else ""
            lines.append(
                f"{state}<b>{esc(u.feed.name)}</b> ({esc(u.feed.language)}): {u.items_per_day:.1f}/day, "
                f"{u.relevant_share:.0%} flagged, {u.error_streak} errors{last}"
            )
        for message in chunk_lines(lines):
            await self.reply(update, message)

    async def addfeed(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if (lang := await self.admin_only(update)) is None:
            return
        args = _args(context)
        if not args:
            await self.reply(update, t(lang, "addfeed_usage"))
            return
        language = args[1].lower() if len(args) > 1 and len(args[1]) in (2, 3) and args[1].isalpha() else None
        name = " ".join(args[2:] if language else args[1:]) or None
        try:
            feed, count = await feedlist.add(self.config, args[0], name=name, language=language)
        except TieswatchError as e:
            await self.reply(update, t(lang, "failed", error=esc(str(e))))
            return
        await self.reply(update, t(lang, "addfeed_done", name=esc(feed.name), items=count))

    async def rmfeed(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await self._feed_action(update, context, "rmfeed", lambda which: feedlist.remove(self.config, which))

    async def resume(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await self._feed_action(
            update, context, "resume", lambda which: feedlist.resume(self.config, self.store, which, self.now())
        )

    async def _feed_action(
        self, update: Update, context: ContextTypes.DEFAULT_TYPE, name: str, action: Callable[[str], object]
    ) -> None:
        """An admin command on one feed named by url or name: usage when it is missing, the error if any."""
        if (lang := await self.admin_only(update)) is None:
            return
        which = " ".join(_args(context))
        if not which:
            await self.reply(update, t(lang, f"{name}_usage"))
            return
        try:
            feed = action(which)
        except TieswatchError as e:
            await self.reply(update, t(lang, "failed", error=esc(str(e))))
            return
        await self.reply(update, t(lang, f"{name}_done", name=esc(feed.name)))


def chunk_lines(lines: list[str], limit: int = 4000) -> list[str]:
    """Join lines into messages under Telegram's limit, never splitting a line (nor a tag in it)."""
    messages, current = [], ""
    for line in lines:
        if current and len(current) + 1 + len(line) > limit:
            messages.append(current)
            current = ""
        current = f"{current}\n{line}" if current else line[:limit]
    return [*messages, current] if current else messages


COMMANDS = {
    "en": [
        ("start", "subscribe to alerts"),
        ("stop", "unsubscribe"),
        ("status", "feeds, model, alerts today"),
        ("recent", "latest flagged items"),
        ("settings", "sensitivity, languages, digest, quiet hours"),
        ("help", "what the bot can do"),
    ],
    "it": [
        ("start", "iscriviti agli avvisi"),
        ("stop", "annulla l'iscrizione"),
        ("status", "fonti, modello, avvisi di oggi"),
        ("recent", "ultimi articoli segnalati"),
        ("settings", "sensibilità, lingue, riepilogo, silenzio"),
        ("help", "cosa sa fare il bot"),
    ],
}


def build_application(
    config: Config,
    pipeline: Pipeline,
    operations: Operations,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> Application:
    """The bot, wired: the token and API address from the configuration, every handler registered."""
    api = config.telegram_api_url.rstrip("/")
    app = (
        ApplicationBuilder()
        .token(config.telegram_token)
        .base_url(f"{api}/bot")
        .base_file_url(f"{api}/file/bot")
        .concurrent_updates(False)
        .build()
    )
    h = Handlers(config, pipeline, operations, now)
    app.bot_data["handlers"] = h
    for name, callback in (
        ("start", h.start),
        ("stop", h.stop),
        ("help", h.help),
        ("status", h.status),
        ("recent", h.recent),
        ("settings", h.settings),
        ("label", h.label_command),
        ("retrain", h.retrain),
        ("review", h.review),
        ("feeds", h.feeds),
        ("addfeed", h.addfeed),
        ("rmfeed", h.rmfeed),
        ("resume", h.resume),
    ):
        app.add_handler(CommandHandler(name, callback))
    app.add_handler(CallbackQueryHandler(h.label_button, pattern=r"^lbl:"))
    app.add_handler(CallbackQueryHandler(h.settings_button, pattern=r"^set:"))
    app.add_handler(CallbackQueryHandler(h.review_button, pattern=r"^rev:"))
    app.add_handler(MessageHandler(filters.ALL & ~filters.UpdateType.EDITED, h.unknown))

    async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        log.error("while handling an update: %s", context.error, exc_info=context.error)

    app.add_error_handler(on_error)
    return app


async def connect(app: Application, stop: asyncio.Event) -> bool:
    """Log in and start receiving updates. A refused token is a configuration error; an unreachable
    Telegram is waited for (with backoff) while the rest of the bot runs. False if stopped meanwhile."""
    delay = 2.0
    while not stop.is_set():
        try:
            await app.initialize()
            break
        except InvalidToken as e:
            raise ConfigError("Telegram refused TELEGRAM_BOT_TOKEN: check it with @BotFather") from e
        except (NetworkError, TimedOut) as e:
            log.warning(
                "cannot reach Telegram at %s (%s); trying again in %.0f s",
                app.bot.base_url.split("/bot")[0],
                e.message,
                delay,
            )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), delay)
            delay = min(delay * 2, 60.0)
    else:
        return False
    await announce_commands(app)
    await app.start()
    await app.updater.start_polling(poll_interval=0.0, timeout=10, drop_pending_updates=False)
    log.info("connected to Telegram as @%s", app.bot.username)
    return True


async def disconnect(app: Application) -> None:
    if app.updater and app.updater.running:
        await app.updater.stop()
    if app.running:
        await app.stop()
    await app.shutdown()


async def announce_commands(app: Application) -> None:
    """Tell Telegram the command list (shown in the chat's menu), in English and Italian."""
    for lang, commands in COMMANDS.items():
        await app.bot.set_my_commands(
            [BotCommand(c, d) for c, d in commands], language_code=None if lang == "en" else lang
        )
