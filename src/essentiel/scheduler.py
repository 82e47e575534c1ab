"""The long-running job: check due sources every few minutes, build the day's edition at its hour, stop cleanly.

The database is the queue (sources.next_check_at): the scheduler and `essentiel fetch` share `refresh_source`.
"""

from __future__ import annotations

import logging
import signal
import threading
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from .config import Config
from .errors import EssentielError
from .ingest import fetch_due
from .lock import instance_lock
from .models import Edition
from .pipeline import build_edition, edition_day, publish
from .store import Store, open_store

log = logging.getLogger(__name__)


def edition_due(config: Config, now: datetime, last_day: object) -> bool:
    """The day's edition is due once its local hour has passed and it was not built yet today."""
    zone = ZoneInfo(config["general.timezone"])
    hour, minute = (int(p) for p in str(config["schedule.edition_at"]).split(":"))
    local = now.astimezone(zone)
    return local.time() >= time(hour, minute) and edition_day(config, now) != last_day


def send_email(store: Store, config: Config, edition: Edition) -> None:
    """The daily e-mail, when `email.smtp_host` is set. A failure is logged; the loop goes on."""
    if not config["email.smtp_host"]:
        return
    from .publish.email import SmtpSettings, send_edition

    ids = [i for item in edition.stories for i in item.story.article_ids]
    articles = {a.id: a for a in store.get_articles(ids)}
    try:
        send_edition(
            edition, articles, SmtpSettings.from_config(config), ui_language=config["general.ui_language"]
        )
    except (OSError, ValueError) as exc:
        log.warning("edition e-mail not sent host=%s error=%s", config["email.smtp_host"], exc)


def prune(store: Store, config: Config, now: datetime) -> None:
    """Retention: raw pages older than general.keep_documents_days go (0 keeps them forever)."""
    keep = int(config["general.keep_documents_days"])
    if keep:
        removed = store.prune_documents(now - timedelta(days=keep))
        log.info("raw pages pruned removed=%d keep_days=%d", removed, keep)


def run_forever(config: Config, stop: threading.Event | None = None) -> None:
    """Loop until SIGINT/SIGTERM (or `stop` is set): fetch, then build and publish the edition when due."""
    stop = stop or threading.Event()
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
    interval = float(config["schedule.fetch_every_minutes"]) * 60
    with instance_lock(config.database), open_store(config.database) as store:
        latest = store.latest_edition()
        last_day = latest.day if latest else None
        while not stop.is_set():
            now = datetime.now(UTC)
            results = fetch_due(store, config)
            log.info("fetched sources=%d new=%d", len(results), sum(r.new_articles for r in results))
            if edition_due(config, now, last_day):
                try:
                    edition = build_edition(store, config, now)
                    publish(store, config)
                    last_day = edition.day
                    log.info("edition built day=%s stories=%d", edition.day, len(edition.stories))
                    send_email(store, config, edition)
                    prune(store, config, now)
                except EssentielError as exc:
                    log.warning("edition not built: %s", exc)
            stop.wait(interval)
    log.info("scheduler stopped")
