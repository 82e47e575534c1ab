"""Operations: status (the figures of /healthz and /metrics), backup, prune."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import click

from ..errors import InputError
from ..store import Store, open_store
from . import State, cli, emit_json, pass_state


def status_report(store: Store, now: datetime) -> dict[str, Any]:
    """What `essentiel status` prints: counts, queue depth, failing sources, the latest edition, and the
    figures of /metrics (fetches by status, articles per hour, stage latencies, errors per source, scheduler)."""
    sources = store.list_sources()
    checked = [s.last_checked_at for s in sources if s.last_checked_at]
    edition = store.latest_edition()
    return {
        **store.ops_figures(now),
        "database": str(store.db.path),
        "size_bytes": store.db.size_bytes(),
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
    with open_store(state.config.database, readonly=True) as store:  # works on a read-only store too
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
    for line in figure_lines(report):
        click.echo("  " + line)


def figure_lines(report: dict[str, Any]) -> list[str]:
    """The /metrics figures as lines of text."""
    scheduler = report["scheduler"]
    if scheduler is None:
        state = "scheduler: never ran on this store"
    else:
        alive = "alive" if scheduler["alive"] else "NOT alive"
        state = (
            f"scheduler: {alive} ({scheduler['state']}, pid {scheduler['pid']}, last heartbeat"
            f" {scheduler['beat_at']}, every {scheduler['interval_seconds']:g}s)"
        )
    fetches = ", ".join(f"{status} {n}" for status, n in report["fetches"].items()) or "none yet"
    lines = [
        state,
        f"articles: {report['articles_last_hour']} in the last hour, {report['articles_last_day']} in 24 h",
        f"fetches by status: {fetches}",
    ]
    for stage, t in report["stages"].items():
        mean = t["total_seconds"] / t["count"] if t["count"] else 0.0
        lines.append(
            f"stage {stage}: {t['count']} runs, mean {mean:.3f}s, last {t['last_seconds']:.3f}s,"
            f" max {t['max_seconds']:.3f}s"
        )
    lines += [
        f"errors: {s['source']}: {s['errors']} of {s['checks']} checks ({s['consecutive_errors']} in a row)"
        for s in report["sources"]
        if s["errors"]
    ]
    return lines


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
