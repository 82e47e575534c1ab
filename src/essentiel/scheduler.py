"""The long-running job: check due sources every few minutes, build the day's edition at its hour, stop cleanly.

The database is the queue (sources.next_check_at): the scheduler and `essentiel fetch` share `refresh_source`.
The scheduler records a heartbeat in the store at each pass (/healthz checks it against the interval) and the
latency of each stage (/metrics). A storage failure (disk full, read-only store) stops it with one line: SQLite
has rolled the transaction back, so the file stays whole.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from .config import Config
from .errors import EssentielError, StoreError
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


def serve_web(config: Config) -> Callable[[], None]:
    """The web app on outputs.host:outputs.port in a thread of this process; returns the function that stops it."""
    import uvicorn

    from .web.app import create_app

    host, port = str(config["outputs.host"]), int(config["outputs.port"])
    app = create_app(config.database, config=config)
    server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="warning"))
    # uvicorn installs no signal handlers off the main thread: SIGTERM stays the scheduler's.
    thread = threading.Thread(target=server.run, name="web", daemon=True)
    thread.start()
    while not server.started and thread.is_alive():
        thread.join(0.05)
    if not server.started:
        raise EssentielError(f"cannot serve the web app on http://{host}:{port}/ (is the port in use?)")
    log.info("web app served stage=web url=http://%s:%d/", host, port)

    def close() -> None:
        server.should_exit = True
        thread.join(timeout=10)

    return close


def run_forever(config: Config, stop: threading.Event | None = None, *, serve: bool = False) -> None:
    """Loop until SIGINT/SIGTERM (or `stop` is set): fetch, then build and publish the edition when due.

    `serve`: the web app runs in the same process (a thread), on outputs.host and outputs.port.
    A StoreError (disk full, read-only store, I/O error) ends the loop: it is logged and raised, so
    `essentiel run` prints it on one line and exits with status 2.
    """
    stop = stop or threading.Event()
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
    interval = float(config["schedule.fetch_every_minutes"]) * 60
    with instance_lock(config.database), open_store(config.database) as store:
        latest = store.latest_edition()
        last_day = latest.day if latest else None
        close_web = serve_web(config) if serve else None
        try:
            store.beat(interval, started=True)
            while not stop.is_set():
                last_day = run_pass(store, config, last_day)
                store.beat(interval)
                stop.wait(interval)
        except StoreError as exc:
            log.error("scheduler stopped on a storage error stage=store error=%s", exc)
            raise
        finally:
            if close_web is not None:
                close_web()
        store.beat(interval, state="stopped")
    log.info("scheduler stopped")


def run_pass(store: Store, config: Config, last_day: date | None) -> date | None:
    """One pass of the loop: the due sources, then the day's edition when due. Returns the last edition's day."""
    now = datetime.now(UTC)
    results = fetch_due(store, config, embed_ahead=True)  # the edition may follow
    log.info(
        "fetched stage=fetch sources=%d new=%d failed=%d",
        len(results),
        sum(r.new_articles for r in results),
        sum(1 for r in results if r.errors),
    )
    if not edition_due(config, now, last_day):
        return last_day
    try:
        with store.db.exclusive("edition"):  # several workers on PostgreSQL: one builds, the others find it
            day = edition_day(config, now)
            if store.db.shared and store.latest_edition(day) is not None:
                log.info("edition already built by another worker stage=edition day=%s", day)
                return day
            edition = build_edition(store, config, now)
            with store.timed("publish"):
                publish(store, config)
    except StoreError:
        raise
    except EssentielError as exc:
        log.warning("edition not built stage=edition error=%s", exc)
        return last_day
    log.info("edition built stage=edition day=%s stories=%d", edition.day, len(edition.stories))
    send_email(store, config, edition)
    prune(store, config, now)
    return edition.day
