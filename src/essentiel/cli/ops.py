"""Operations: status, backup, prune."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import click

from ..errors import InputError
from ..store import Store
from . import State, cli, emit_json, pass_state


def status_report(store: Store, now: datetime) -> dict[str, Any]:
    """What `essentiel status` prints: counts, queue depth, failing sources, the latest edition."""
    sources = store.list_sources()
    checked = [s.last_checked_at for s in sources if s.last_checked_at]
    edition = store.latest_edition()
    return {
        "database": str(store.db.path),
        "size_bytes": store.db.path.stat().st_size if store.db.path.exists() else 0,
        "counts": {t: store.count(t) for t in ("sources", "documents", "articles", "stories", "editions")},
        "due_sources": len(store.due_sources(now)),
        "last_fetch": max(checked).isoformat() if checked else None,
        "failing_sources": [
            {"source": s.source.name or s.source.url, "errors": s.error_count, "last_error": s.last_error}
            for s in sources
            if s.error_count
        ],
        "last_edition": None
        if edition is None
        else {
            "day": edition.day.isoformat(),
            "created_at": edition.created_at.isoformat(),
            "stories": len(edition.stories),
        },
    }


@cli.command()
@click.option("--json", "as_json", is_flag=True)
@pass_state
def status(state: State, as_json: bool) -> None:
    """Counts, fetch queue, failing sources and the latest edition."""
    if not state.config.database.exists():
        raise InputError(
            f"{state.config.database}: no database yet (run `essentiel run --once` or `essentiel demo`)"
        )
    with state.store() as store:
        report = status_report(store, datetime.now(UTC))
    if as_json:
        emit_json(report)
        return
    counts = report["counts"]
    click.echo(f"database {report['database']} ({report['size_bytes'] / 1e6:.1f} MB)")
    click.echo("  " + ", ".join(f"{n} {name}" for name, n in counts.items()))
    click.echo(f"  {report['due_sources']} sources due; last fetch {report['last_fetch'] or 'never'}")
    edition = report["last_edition"]
    click.echo(
        f"  last edition: {edition['day']} ({edition['stories']} stories)" if edition else "  no edition yet"
    )
    for failing in report["failing_sources"]:
        click.echo(f"  failing: {failing['source']} ({failing['errors']}x): {failing['last_error']}")


@cli.command()
@click.argument("target", type=click.Path(dir_okay=False, path_type=Path))
@pass_state
def backup(state: State, target: Path) -> None:
    """An online, consistent copy of the store (safe while `essentiel run` works)."""
    with state.store() as store:
        store.db.backup(target)
    click.echo(f"backed up {state.config.database} to {target}")


@cli.command()
@click.option(
    "--days", type=click.IntRange(1), default=None, help="Keep raw pages this many days (default: setting)."
)
@pass_state
def prune(state: State, days: int | None) -> None:
    """Delete raw pages older than general.keep_documents_days (articles and editions are kept)."""
    keep = days or int(state.config["general.keep_documents_days"])
    if not keep:
        raise InputError("general.keep_documents_days is 0 (keep forever): give --days N")
    with state.store() as store:
        removed = store.prune_documents(datetime.now(UTC) - timedelta(days=keep))
    click.echo(f"{removed} raw pages older than {keep} days removed")
