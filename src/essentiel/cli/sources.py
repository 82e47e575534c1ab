"""`essentiel sources ...`: the sources kept in the database (configured sources are added on first fetch)."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from ..errors import InputError
from ..models import Source
from ..sources.opml import parse_opml, to_opml
from ..store import SourceState
from . import State, cli, emit_json, pass_state


@cli.group()
def sources() -> None:
    """Add, list, remove, import and export sources."""


@sources.command("add")
@click.argument("url")
@click.option("--name", default="", help="Display name (default: the outlet's domain).")
@click.option(
    "--kind",
    type=click.Choice(["feed", "sitemap", "page", "article"]),
    default=None,
    help="What the URL is (default: detected with one quick fetch of it).",
)
@click.option("--category", default=None)
@click.option("--language", default=None, help="Two-letter language code.")
@click.option("--country", default=None)
@click.option("--weight", default=1.0, show_default=True, type=click.FloatRange(0, 100), help="Authority.")
@click.option("--wire", is_flag=True, help="A wire service (AFP, Reuters, AP): its copy is not independent.")
@click.option("--feed-content", is_flag=True, help="Trust the feed's content instead of fetching each page.")
@click.option("--json", "as_json", is_flag=True)
@pass_state
def add(
    state: State,
    url: str,
    name: str,
    kind: str | None,
    category: str | None,
    language: str | None,
    country: str | None,
    weight: float,
    wire: bool,
    feed_content: bool,
    as_json: bool,
) -> None:
    """Add a source (or update the one with this URL)."""
    if not url.startswith(("http://", "https://")):
        raise InputError(f"{url}: a source URL must start with http:// or https://")
    if kind is None:
        from ..ingest import fetch_settings
        from ..sources.detect import probe_kind

        kind = probe_kind(url, fetch_settings(state.config))
    source = Source(
        url=url,
        name=name,
        kind=kind,
        category=category,
        language=language,
        country=country,
        weight=weight,
        independent=not wire,
        full_page=not feed_content,
    )
    with state.store() as store:
        saved = store.add_source(Source(**{**source.__dict__, "name": name or source.outlet}))
    if as_json:
        emit_json(saved.__dict__)
    else:
        click.echo(f"added source {saved.id}: {saved.name} <{saved.url}>")


@sources.command("list")
@click.option("--json", "as_json", is_flag=True)
@pass_state
def list_(state: State, as_json: bool) -> None:
    """List sources with their health: last success, consecutive errors, last error, articles per day."""
    with state.store() as store:
        states = store.list_sources()
    if as_json:
        emit_json([_health(s) for s in states])
        return
    table = Table(
        "id", "name", "kind", "lang", "per day", "last success", "errors", "next check", "every", "last error"
    )
    for s in states:
        table.add_row(
            str(s.source.id),
            s.source.name,
            s.source.kind,
            s.source.language or "",
            f"{s.articles_per_day:g}",
            _when(s.last_success_at),
            f"[red]{s.error_count}[/red]" if s.error_count else "0",
            _when(s.next_check_at, "due") + (" (backing off)" if s.backing_off else ""),
            _every(s.update_every),
            (s.last_error or "")[:80],
        )
    Console().print(table)


def _health(s: SourceState) -> dict[str, Any]:
    return {
        **s.source.__dict__,
        "error_count": s.error_count,
        "last_error": s.last_error,
        "last_error_at": s.last_error_at,
        "last_success_at": s.last_success_at,
        "last_checked_at": s.last_checked_at,
        "next_check_at": s.next_check_at,
        "articles_per_day": s.articles_per_day,
        "backing_off": s.backing_off,
        "update_every_minutes": s.update_every.total_seconds() / 60 if s.update_every else None,
    }


def _every(value: timedelta | None) -> str:
    """The feed's own update hint (<ttl>, sy:updatePeriod), e.g. '2h' or '30m'; '' when it gives none."""
    if value is None:
        return ""
    minutes = round(value.total_seconds() / 60)
    return f"{minutes // 60}h" if minutes % 60 == 0 and minutes >= 60 else f"{minutes}m"


def _when(value: datetime | None, missing: str = "never") -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value else missing


@sources.command("remove")
@click.argument("key", metavar="ID_OR_URL")
@pass_state
def remove(state: State, key: str) -> None:
    """Remove a source. Its articles are kept."""
    with state.store() as store:
        if not store.remove_source(key):
            raise InputError(f"{key}: no such source (see `essentiel sources list`)")
    click.echo(f"removed source {key}")


@sources.command("import-opml")
@click.argument("file", type=click.Path(path_type=Path))
@pass_state
def import_opml(state: State, file: Path) -> None:
    """Import the feeds of an OPML file, keeping their categories."""
    try:
        content = file.read_bytes()
    except OSError as exc:
        raise InputError(f"{file}: cannot read ({exc.strerror})") from None
    found = parse_opml(content, str(file))
    with state.store() as store:
        for source in found:
            store.add_source(source)
    click.echo(f"imported {len(found)} sources from {file}")


@sources.command("export-opml")
@click.argument("file", type=click.Path(path_type=Path), required=False)
@pass_state
def export_opml(state: State, file: Path | None) -> None:
    """Export the sources as OPML (to FILE, or standard output)."""
    with state.store() as store:
        text = to_opml([s.source for s in store.list_sources()])
    if file is None:
        click.echo(text)
    else:
        file.write_text(text, encoding="utf-8")
        click.echo(f"wrote {file}", err=True)
