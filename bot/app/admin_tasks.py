"""Admin tasks the running bot performs: retrain (by command or on schedule) and tell the
admins what happened. Retraining runs in a worker thread with its own database connection, so the bot
keeps polling and answering meanwhile.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from bot.config import Config
from bot.deliver.console import CONSOLE_CHAT
from bot.deliver.render import esc
from bot.errors import DeliveryError
from bot.learn.retrain import RetrainReport, base_corpus, retrain, retrain_due
from bot.pipeline import Pipeline
from bot.store import Store

log = logging.getLogger(__name__)


class AdminTasks:
    """Retraining and telling the admins, for the scheduler and the Telegram edge."""

    def __init__(self, config: Config, pipeline: Pipeline, now: Callable[[], datetime] = lambda: datetime.now(UTC)):
        self.config = config
        self.pipeline = pipeline
        self.now = now
        self._retraining = asyncio.Lock()

    async def tell_admins(self, text: str, png: Path | None = None) -> None:
        """Send ``text`` (plain, escaped here) to every admin; the console when there is no Telegram."""
        chats = sorted(self.config.admins) if self.config.telegram_token else [CONSOLE_CHAT]
        for chat in chats:
            try:
                await self.pipeline.sink.send(chat, f"<pre>{esc(text)}</pre>" if "\n" in text else esc(text))
                if png is not None and hasattr(self.pipeline.sink, "send_photo"):
                    await self.pipeline.sink.send_photo(chat, png, "precision–recall curves")
            except (DeliveryError, OSError) as e:  # one unreachable admin must not stop the others
                log.warning("could not tell admin %s: %s", chat, e)

    async def retrain(self, trigger: str, force: bool = False) -> RetrainReport:
        """Retrain in a worker thread; the running bot switches to the new model if it is promoted."""
        async with self._retraining:

            def work() -> RetrainReport:
                store = Store.open(self.config.db_path)  # SQLite connections stay in their thread
                try:
                    return retrain(
                        store,
                        self.config.models_dir,
                        self.config.data_dir / "reports",
                        self.now(),
                        force=force,
                        margin=self.config.promote_margin,
                        trigger=trigger,
                        base=base_corpus(self.config.corpus),
                    )
                finally:
                    store.close()

            report = await asyncio.to_thread(work)
        await self.tell_admins(report.text(), report.png)
        return report

    async def scheduled_retrain(self) -> RetrainReport | None:
        """Retrain when a week has passed or enough new labels arrived since the last retrain."""
        reason = retrain_due(
            self.pipeline.store,
            self.now(),
            every_days=self.config.retrain_days,
            after_labels=self.config.retrain_labels,
        )
        if reason is None:
            return None
        log.info("scheduled retrain: %s", reason)
        return await self.retrain(f"schedule ({reason})")
