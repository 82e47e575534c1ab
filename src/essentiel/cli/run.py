"""init, fetch, import, reextract, serve, run and demo."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from ..config import DEFAULT_CONFIG, Config, render_config
from ..errors import InputError
from ..store import StoreLocation
from . import State, cli, emit_json, pass_state, progress_bar


@cli.command()
@click.option("--path", "target", default=DEFAULT_CONFIG, show_default=True, type=click.Path(path_type=Path))
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
def init(target: Path, force: bool) -> None:
    """Write a commented configuration file with the default sources."""
    if target.exists() and not force:
        raise InputError(f"{target}: already exists (use --force to overwrite)")
    target.write_text(render_config(), encoding="utf-8")
    click.echo(f"wrote {target}: edit it, then run `essentiel run --once`")


@cli.command()
@click.option("--json", "as_json", is_flag=True)
@pass_state
def fetch(state: State, as_json: bool) -> None:
    """Check the due sources once: new articles are fetched, extracted and stored."""
    from ..ingest import fetch_due

    with state.store() as store:
        total = len(state.config.sources) or len(store.list_sources())
        with progress_bar("fetch", total) as advance:
            results = fetch_due(store, state.config, advance)
    if as_json:
        emit_json([r.__dict__ for r in results])
        return
    new = sum(r.new_articles for r in results)
    failed = [r for r in results if r.errors]
    duplicates = sum(r.duplicates for r in results)
    click.echo(
        f"{len(results)} sources checked, {new} new articles, {duplicates} already stored,"
        f" {len(failed)} with errors"
    )
    for r in failed:
        click.echo(f"  {r.source}: {r.errors[0]}", err=True)


@cli.command("import")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True)
@pass_state
def import_(state: State, paths: tuple[Path, ...], as_json: bool) -> None:
    """Import a folder of HTML files, a JSONL of articles or a WARC file (.warc or .warc.gz, streamed)."""
    from ..ingest import import_path

    report: list[dict[str, Any]] = []
    with state.store() as store, progress_bar("import", None) as advance:
        for path in paths:
            if not path.exists():
                raise InputError(f"{path}: no such file or folder")
            report.append(import_path(store, path, advance).__dict__)
    if as_json:
        emit_json(report)
        return
    for item in report:
        click.echo(
            f"{item['path']}: {item['articles']} articles, {item['duplicates']} already stored,"
            f" {len(item['errors'])} pages skipped"
        )
        for error in item["errors"][:5]:
            click.echo(f"  {error}", err=True)


@cli.command()
@click.argument("ids", nargs=-1)
@click.option("--all", "everything", is_flag=True, help="Every article that has a stored document.")
@pass_state
def reextract(state: State, ids: tuple[str, ...], everything: bool) -> None:
    """Extract articles again from their stored raw pages."""
    from ..ingest import reextract as run_reextract

    with state.store() as store:
        if everything:
            ids = tuple(r[0] for r in store.db.query("SELECT id FROM articles WHERE document_id IS NOT NULL"))
        click.echo(f"{run_reextract(store, ids)} articles extracted again")


@cli.command()
@click.option("--host", default=None, help="Address (default: outputs.host).")
@click.option("--port", default=None, type=int, help="Port (default: outputs.port).")
@pass_state
def serve(state: State, host: str | None, port: int | None) -> None:
    """Serve the web app over the database."""
    serve_app(
        state.config.database,
        host or state.config["outputs.host"],
        port or state.config["outputs.port"],
        state.config["general.ui_language"],
        state.config,
    )


def serve_app(
    database: StoreLocation, host: str, port: int, ui_language: str, config: Config | None = None
) -> None:
    import uvicorn

    from ..web.app import create_app

    if not database.exists():
        raise InputError(f"{database}: no database yet (run `essentiel run --once` or `essentiel demo`)")
    click.echo(f"essentiel is served on http://{host}:{port}/  (Ctrl+C to stop)")
    app = create_app(database, ui_language=ui_language, config=config)
    uvicorn.run(app, host=host, port=port, log_level="warning")


@cli.command()
@click.option("--once", is_flag=True, help="One pass (fetch, edition, publish), then exit.")
@click.option(
    "--serve", is_flag=True, help="Serve the web app in the same process (outputs.host, outputs.port)."
)
@click.option("--json", "as_json", is_flag=True)
@pass_state
def run(state: State, once: bool, serve: bool, as_json: bool) -> None:
    """Run the job: fetch due sources, build the day's edition, publish it; loop unless --once."""
    from ..lock import instance_lock
    from ..pipeline import run_once
    from ..scheduler import run_forever

    if once and serve:
        raise InputError("--serve runs the web app beside the loop: it does not go with --once")
    if not once:
        run_forever(state.config, serve=serve)
        return
    with instance_lock(state.config.database), state.store() as store, progress_bar("fetch", None) as advance:
        results, edition = run_once(store, state.config, advance)
    if as_json:
        emit_json(
            {
                "sources": len(results),
                "new_articles": sum(r.new_articles for r in results),
                "errors": [e for r in results for e in r.errors],
                "edition": edition.id,
                "stories": [
                    {"rank": s.rank, "title": s.summary.title, "articles": list(s.story.article_ids)}
                    for s in edition.stories
                ],
            }
        )
        return
    click.echo(f"{len(results)} sources checked, {sum(r.new_articles for r in results)} new articles")
    click.echo(f"edition of {edition.day}: {len(edition.stories)} stories")


@cli.command()
@click.option("--dir", "folder", default="essentiel-demo", show_default=True, type=click.Path(path_type=Path))
@click.option("--serve/--no-serve", default=True, show_default=True)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--ui-language", type=click.Choice(["fr", "en"]), default="fr", show_default=True)
def demo(folder: Path, serve: bool, host: str, port: int, ui_language: str) -> None:
    """Build today's edition from the bundled corpus (no network), write the static site, serve it."""
    from ..demo import build_demo

    with progress_bar("demo", None):
        edition, site = build_demo(folder, ui_language=ui_language)
    click.echo(f"edition of {edition.day}: {len(edition.stories)} stories; static site in {site}/index.html")
    for item in edition.stories[:5]:
        click.echo(f"  {item.rank}. {item.summary.title}  ({item.why.get('reason', '')})")
    if serve:
        serve_app(folder / "essentiel.db", host, port, ui_language)
