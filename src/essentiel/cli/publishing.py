"""publish and email: write the static site of the stored editions; send (or show) the daily e-mail."""

from __future__ import annotations

import logging
from pathlib import Path

import click

from ..errors import EssentielError
from ..store import Store, open_store
from . import State, cli, emit_json, pass_state

log = logging.getLogger(__name__)


def _readonly_store(state: State) -> Store:
    database = state.config.database
    if not database.exists():
        raise EssentielError(f"{database}: no database yet (run `essentiel run --once` or `essentiel demo`)")
    return open_store(database, readonly=True)


@cli.command()
@click.option("--static", "folder", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder to write the site to (created if needed).")  # fmt: skip
@click.option("--days", default=7, show_default=True, type=click.IntRange(1, 3650), help="Days of editions.")
@click.option(
    "--base-url", default="", help="Where the site will be served (makes the feeds' links absolute)."
)
@click.option("--json", "as_json", is_flag=True, help="Print the files written as JSON.")
@pass_state
def publish(state: State, folder: Path, days: int, base_url: str, as_json: bool) -> None:
    """Write the stored editions as a static site (relative links, feeds included)."""
    from ..publish.site import write_site

    with _readonly_store(state) as store:
        files = write_site(
            store, folder, ui_language=state.config["general.ui_language"], days=days, base_url=base_url
        )
    if as_json:
        emit_json({"folder": str(folder), "files": [str(f.relative_to(folder)) for f in files]})
        return
    click.echo(f"{len(files)} files written to {folder}")


@cli.command()
@click.option("--dry-run", is_flag=True, help="Print the message instead of sending it.")
@click.option("--base-url", default="", help="Where the web app or site is served (links to story pages).")
@pass_state
def email(state: State, dry_run: bool, base_url: str) -> None:
    """Send the latest edition by e-mail to email.recipients (SMTP settings in [email])."""
    from ..publish.email import SmtpSettings, build_message, send_message
    from ..web.context import sentence_article_ids

    settings = SmtpSettings.from_config(state.config)
    with _readonly_store(state) as store:
        edition = store.latest_edition()
        if edition is None:
            raise EssentielError("no edition yet: run `essentiel run --once` first")
        articles = {a.id: a for a in store.get_articles(sentence_article_ids(edition.stories))}
    message = build_message(
        edition,
        articles,
        sender=settings.sender,
        recipients=settings.recipients,
        ui_language=state.config["general.ui_language"],
        base_url=base_url,
    )
    if dry_run:
        click.echo(message.as_string())
        return
    send_message(message, settings)
    click.echo(f"edition of {edition.day} sent to {len(settings.recipients)} recipients")
