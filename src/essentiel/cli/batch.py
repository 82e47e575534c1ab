"""batch run (WARC archives on Dask -> Parquet) and batch load (Parquet -> the store)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

import click

from . import State, cli, emit_json, pass_state, progress_bar


@cli.group()
def batch() -> None:
    """Archives on Dask: `batch run` processes WARC files to Parquet, `batch load` stores the results."""


@batch.command("run")
@click.argument("inputs", nargs=-1, required=True)
@click.option(
    "-o",
    "--output",
    default="essentiel-batch",
    show_default=True,
    help="Folder (or fsspec URL) for the Parquet parts.",
)
@click.option(
    "--scheduler", default=None, help="Join this Dask cluster (tcp://host:8786) instead of a local one."
)
@click.option(
    "--workers", default=2, show_default=True, type=click.IntRange(1, 512), help="Local worker processes."
)
@click.option("--threads-per-worker", default=1, show_default=True, type=click.IntRange(1, 64))
@click.option(
    "--records-per-task",
    default=500,
    show_default=True,
    type=click.IntRange(1),
    help="HTML responses per task: a file is cut into ranges of about this many.",
)
@click.option(
    "--batch-size", default=64, show_default=True, type=click.IntRange(1), help="Rows per embedding batch."
)
@click.option(
    "--retries", default=2, show_default=True, type=click.IntRange(0, 20), help="Retries of a failed task."
)
@click.option(
    "--resume",
    is_flag=True,
    help="Keep the complete parts in OUT and run only the missing ones (same inputs).",
)
@click.option(
    "--load", "then_load", is_flag=True, help="Then load the results into the store (as `batch load`)."
)
@click.option("--json", "as_json", is_flag=True)
@pass_state
def run_(
    state: State,
    inputs: tuple[str, ...],
    output: str,
    scheduler: str | None,
    workers: int,
    threads_per_worker: int,
    records_per_task: int,
    batch_size: int,
    retries: int,
    resume: bool,
    then_load: bool,
    as_json: bool,
) -> None:
    """Extract, detect languages, sign (MinHash) and embed the articles of WARC files (paths, globs, URLs)."""
    from ..batch.run import run_batch

    with progress_bar("batch", None) as advance:
        report = run_batch(
            inputs,
            output,
            scheduler=scheduler,
            workers=workers,
            threads_per_worker=threads_per_worker,
            records_per_task=records_per_task,
            batch_size=batch_size,
            retries=retries,
            resume=resume,
            progress=advance,
        )
    summary: dict[str, Any] = asdict(report)
    if report.failed:  # the parts done are kept; nothing is loaded from an incomplete run
        for line in report.failed:
            click.echo(f"failed: {line}", err=True)
        if as_json:
            emit_json(summary)
        click.echo(
            f"error: {len(report.failed)} tasks failed after their retries: run the same command with --resume",
            err=True,
        )
        raise click.exceptions.Exit(1)
    if then_load:
        summary["load"] = _load(state, report.parts, cluster=True, editions=False)
    if as_json:
        emit_json(summary)
        return
    rate = report.articles / report.seconds if report.seconds else 0.0
    click.echo(
        f"{len(report.files)} files, {report.tasks} tasks: {report.articles} articles from {report.records} pages"
        f" ({report.duplicates} duplicates, {report.skipped} skipped, {len(report.corrupt)} corrupt records)"
        f" in {report.seconds:.1f} s ({rate:.1f} articles/s) -> {output}"
        + (f" ({report.reused} parts kept from the earlier run)" if report.reused else "")
    )
    if then_load:
        _echo_load(summary["load"])


@batch.command("load")
@click.argument("inputs", nargs=-1, required=True)
@click.option("--no-cluster", is_flag=True, help="Only insert the articles (the next edition clusters them).")
@click.option("--editions", is_flag=True, help="Then build one edition per day of the loaded articles.")
@click.option(
    "--rows",
    default=5000,
    show_default=True,
    type=click.IntRange(1),
    help="Rows per insert and clustering step.",
)
@click.option("--json", "as_json", is_flag=True)
@pass_state
def load(
    state: State, inputs: tuple[str, ...], no_cluster: bool, editions: bool, rows: int, as_json: bool
) -> None:
    """Insert the articles of `batch run` Parquet parts (files, folders, globs) and place them into stories."""
    summary = _load(state, list(inputs), cluster=not no_cluster, editions=editions, rows=rows)
    if as_json:
        emit_json(summary)
    else:
        _echo_load(summary)


def _load(
    state: State, inputs: list[str], *, cluster: bool, editions: bool, rows: int = 5000
) -> dict[str, Any]:
    from ..batch.load import build_day_editions, load_parquet

    with state.store() as store:
        with progress_bar("load", None) as advance:
            summary = asdict(load_parquet(store, inputs, cluster=cluster, rows=rows, progress=advance))
        if editions:
            built = build_day_editions(store, state.config, summary["days"])
            summary["editions"] = [{"day": e.day.isoformat(), "stories": len(e.stories)} for e in built]
    return summary


def _echo_load(summary: dict[str, Any]) -> None:
    days = summary["days"]
    span = f", published {days[0]} to {days[-1]}" if days else ""
    click.echo(
        f"{summary['articles']} articles stored from {summary['rows']} rows"
        f" ({summary['duplicates']} already stored), in {summary['stories']} stories{span}"
    )
    for edition in summary.get("editions", []):
        click.echo(f"  edition of {edition['day']}: {edition['stories']} stories")
