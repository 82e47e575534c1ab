"""The `essentiel` command: a click group of thin commands over the pipeline.

A user error prints one clear line and exits 2, never a traceback.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from .. import __version__, logs
from ..config import DEFAULT_CONFIG, Config, load_config
from ..errors import EssentielError
from ..store import Store, open_store


class UserError(click.ClickException):
    exit_code = 2

    def show(self, file: Any = None) -> None:
        click.echo(f"error: {self.message}", err=True)


class Group(click.Group):
    """Turns domain errors raised by any command into one line and exit code 2."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except EssentielError as exc:
            raise UserError(str(exc)) from exc


class State:
    def __init__(self, config_path: str | None) -> None:
        self.config_path = config_path
        self._config: Config | None = None

    @property
    def config(self) -> Config:
        if self._config is None:
            path = self.config_path
            if path is None and Path(DEFAULT_CONFIG).exists():
                path = DEFAULT_CONFIG
            self._config = load_config(path)
            logs.configure(logging.getLogger().level, self._config["general.log_format"])
        return self._config

    def store(self) -> Store:
        return open_store(self.config.database)


pass_state = click.make_pass_decorator(State)


@contextmanager
def progress_bar(label: str, total: int | None) -> Iterator[Any]:
    """A rich progress bar on stderr; yields `advance(n)`."""
    columns = [TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn()]
    from rich.console import Console

    console = Console(stderr=True)
    with Progress(*columns, console=console, transient=True, disable=not console.is_terminal) as bar:
        task = bar.add_task(label, total=total)
        yield lambda n=1: bar.advance(task, n)


def emit_json(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, default=str))


def emit_jsonl(rows: Any) -> None:
    for row in rows:
        click.echo(json.dumps(row, ensure_ascii=False, default=str))


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "-c",
    "--config",
    "config_path",
    type=click.Path(dir_okay=False),
    default=None,
    envvar="ESSENTIEL_CONFIG",
    help=f"Configuration file (default: ./{DEFAULT_CONFIG} when present).",
)
@click.option("-v", "--verbose", count=True, help="More logging (-v info, -vv debug).")
@click.version_option(__version__, prog_name="essentiel")
@click.pass_context
def cli(ctx: click.Context, config_path: str | None, verbose: int) -> None:
    """essentiel: the day's most important news, from the sources you choose."""
    level = [logging.WARNING, logging.INFO, logging.DEBUG][min(verbose, 2)]
    logs.configure(level, os.environ.get("ESSENTIEL_GENERAL_LOG_FORMAT", "text"))
    ctx.obj = State(config_path)


def main() -> None:
    cli(prog_name="essentiel")


from . import batch, evaluate, files, ops, publishing, run, sources, store  # noqa: E402,F401  (registers the commands)
