"""`essentiel sources ...`: the sources kept in the database (configured sources are added on first fetch)."""

from __future__ import annotations

from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from ..errors import InputError
from ..models import Source
from ..sources.opml import parse_opml, to_opml
from . import State, cli, emit_json, pass_state


@cli.group()
def sources() -> None:
    """Add, list, remove, import and export sources."""


@sources.command("add")
@click.argument("url")
@click.option("--name", default="", help="Display name (default: the outlet's domain).")
@click.option(
    "--kind", type=click.Choice(["feed", "sitemap", "page", "article"]), default="feed", show_default=True
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
    kind: str,
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
    """List sources with their fetch state and error counts."""
    with state.store() as store:
        states = store.list_sources()
    if as_json:
        emit_json(
            [
                {
                    **s.source.__dict__,
                    "error_count": s.error_count,
                    "last_error": s.last_error,
                    "last_checked_at": s.last_checked_at,
                    "next_check_at": s.next_check_at,
                }
                for s in states
            ]
        )
        return
    table = Table("id", "name", "category", "lang", "errors", "last error", "url")
    for s in states:
        table.add_row(
            str(s.source.id),
            s.source.name,
            s.source.category or "",
            s.source.language or "",
            str(s.error_count),
            (s.last_error or "")[:60],
            s.source.url,
        )
    Console().print(table)


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
