"""Wiring: database, core, scheduler and the APScheduler tick that drives it.

Every entry point (console, Slack, Discord, tests) builds the bot through ``build_app``,
so the same migrations, registry and scheduler run everywhere.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from datetime import timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy import Engine

from adapters import web_titles
from bot.clock import SystemClock
from bot.core import Core
from bot.features import load_registry
from bot.features.resources.title_lookup import TitleFetcher, attach_fetcher
from bot.ports import Chat, Clock
from bot.scheduler import Scheduler
from storage.db import make_engine, migrate
from storage.uow import SqlUnitOfWorkFactory

log = logging.getLogger(__name__)

DEFAULT_TICK_SECONDS = 15.0


@dataclass
class App:
    engine: Engine
    core: Core
    scheduler: Scheduler


def build_app(
    chat: Chat,
    clock: Clock | None = None,
    database_url: str | None = None,
    engine: Engine | None = None,
    worker: str | None = None,
    title_fetcher: TitleFetcher | None = None,
) -> App:
    engine = engine or make_engine(database_url)
    migrate(engine)
    core = Core(load_registry(), SqlUnitOfWorkFactory(engine), clock or SystemClock(), chat)
    # Resource titles are looked up by a scheduled job through this port (None: from env).
    attach_fetcher(core, title_fetcher or web_titles.from_env())
    return App(engine, core, Scheduler(core, worker=worker))


def tick_seconds() -> float:
    try:
        return float(os.environ.get("COPBOT_TICK_SECONDS", DEFAULT_TICK_SECONDS))
    except ValueError:
        return DEFAULT_TICK_SECONDS


async def start_ticker(app: App, interval: float | None = None) -> AsyncIOScheduler:
    """Catch up on work that fell due while the bot was down, then tick periodically.

    APScheduler keeps only this one in-memory interval job; the due work itself is rows
    in the database, so several processes can tick safely against one PostgreSQL.
    """
    await app.scheduler.tick()
    ticker = AsyncIOScheduler()
    ticker.add_job(
        app.scheduler.tick,
        "interval",
        seconds=interval or tick_seconds(),
        max_instances=1,
        coalesce=True,
        misfire_grace_time=int(timedelta(minutes=5).total_seconds()),
    )
    ticker.start()
    return ticker


# Libraries that log whole payloads at DEBUG: discord.py's gateway logs every event (an
# interaction names its member beside the options typed, e.g. an anonymous question) and
# its HTTP client logs request bodies; Bolt and the Slack SDK log request bodies.
PAYLOAD_LOGGERS = ("discord", "slack_bolt", "slack_sdk")


def quiet_payload_loggers() -> None:
    """Keep the payload-logging libraries at INFO or above whatever the root level is."""
    for name in PAYLOAD_LOGGERS:
        logger = logging.getLogger(name)
        if logger.level < logging.INFO:  # unset (inherits) or DEBUG
            logger.setLevel(logging.INFO)


def configure_logging() -> None:
    level = os.environ.get("COPBOT_LOG_LEVEL", "INFO").upper()
    logging.basicConfig(
        level=getattr(logging, level, logging.INFO),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    quiet_payload_loggers()
