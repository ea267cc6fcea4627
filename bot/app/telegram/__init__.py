"""The Telegram edge: one wiring function and thin handlers that parse, call the core and reply.

    sink.py      the outbox's sink, Telegram's errors translated into the outbox's
    common.py    what every handler shares, and the one place the core's errors become a reply
    user.py      /start /stop /help /status /recent /search, the buttons under an alert and under results
    settings.py  /settings and its buttons
    admin.py     /label /review /retrain /feeds /addfeed /rmfeed /resume

Only this package imports ``telegram``. What the messages say and look like is ``bot/deliver/render.py``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import UTC, datetime

from telegram import BotCommand, LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.error import InvalidToken, NetworkError, TimedOut
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    Defaults,
    MessageHandler,
    filters,
)

from bot.app.admin_tasks import AdminTasks
from bot.app.telegram.admin import AdminHandlers
from bot.app.telegram.settings import SettingsHandlers
from bot.app.telegram.sink import TelegramSink
from bot.app.telegram.user import UserHandlers
from bot.config import Config
from bot.errors import ConfigError
from bot.pipeline import Pipeline

__all__ = ["TelegramSink", "build_application", "connect", "disconnect"]
log = logging.getLogger(__name__)

COMMANDS = {
    "en": [
        ("start", "subscribe to alerts"),
        ("stop", "unsubscribe"),
        ("status", "feeds, model, alerts today"),
        ("recent", "latest flagged items"),
        ("search", "search the stored items"),
        ("settings", "sensitivity, languages, digest, quiet hours"),
        ("help", "what the bot can do"),
    ],
    "it": [
        ("start", "iscriviti agli avvisi"),
        ("stop", "annulla l'iscrizione"),
        ("status", "fonti, modello, avvisi di oggi"),
        ("recent", "ultimi articoli segnalati"),
        ("search", "cerca negli articoli salvati"),
        ("settings", "sensibilità, lingue, riepilogo, silenzio"),
        ("help", "cosa sa fare il bot"),
    ],
}


def build_application(
    config: Config,
    pipeline: Pipeline,
    tasks: AdminTasks,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> Application:
    """The bot, wired: the token and API address from the configuration, every handler registered."""
    api = config.telegram_api_url.rstrip("/")
    app = (
        ApplicationBuilder()
        .token(config.telegram_token)
        .base_url(f"{api}/bot")
        .base_file_url(f"{api}/file/bot")
        .defaults(Defaults(parse_mode=ParseMode.HTML, link_preview_options=LinkPreviewOptions(is_disabled=True)))
        .concurrent_updates(False)
        .build()
    )
    user = UserHandlers(config, pipeline, tasks, now)
    settings = SettingsHandlers(config, pipeline, tasks, now)
    admin = AdminHandlers(config, pipeline, tasks, now)
    for name, callback in (
        ("start", user.start),
        ("stop", user.stop),
        ("help", user.help),
        ("status", user.status),
        ("recent", user.recent),
        ("search", user.search),
        ("settings", settings.settings),
        ("label", admin.label_command),
        ("retrain", admin.retrain),
        ("review", admin.review),
        ("feeds", admin.feeds),
        ("addfeed", admin.addfeed),
        ("rmfeed", admin.rmfeed),
        ("resume", admin.resume),
    ):
        app.add_handler(CommandHandler(name, user.guarded(callback)))
    app.add_handler(CallbackQueryHandler(user.guarded(user.label_button), pattern=r"^lbl:"))
    app.add_handler(CallbackQueryHandler(user.guarded(settings.settings_button), pattern=r"^set:"))
    app.add_handler(CallbackQueryHandler(user.guarded(admin.review_button), pattern=r"^rev:"))
    app.add_handler(CallbackQueryHandler(user.guarded(user.search_button), pattern=r"^srch:"))
    app.add_handler(MessageHandler(filters.ALL & ~filters.UpdateType.EDITED, user.guarded(user.unknown)))

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
