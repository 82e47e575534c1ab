"""store copy: move a store between SQLite and PostgreSQL (or between two of either)."""

from __future__ import annotations

import click

from ..store.copy import copy_store
from ..store.location import parse_location
from . import cli, emit_json


@cli.group("store")
def store_group() -> None:
    """The store itself: copy it to another backend."""


@store_group.command("copy")
@click.argument("source")
@click.argument("target")
@click.option("--force", is_flag=True, help="Replace the content of a destination that is not empty.")
@click.option(
    "--batch", default=500, show_default=True, type=click.IntRange(1, 100_000), help="Rows per batch."
)
@click.option("--json", "as_json", is_flag=True)
def copy(source: str, target: str, force: bool, batch: int, as_json: bool) -> None:
    """Copy every table of SOURCE into TARGET, ids kept (each a path, sqlite:///path or postgresql://...).

    TARGET is created and migrated when needed; one that holds rows is refused unless --force.
    """
    src, dst = parse_location(source), parse_location(target)
    counts = copy_store(src, dst, force=force, batch=batch)
    if as_json:
        emit_json({"source": str(src), "target": str(dst), "tables": counts})
        return
    click.echo(f"copied {src} to {dst}")
    for table, count in counts.items():
        click.echo(f"  {table:<20} {count:>9}")
