"""`essentiel eval ...`: quality figures on the development sets, printed as tables (or JSON)."""

from __future__ import annotations

import importlib
from pathlib import Path

import click

from ..errors import InputError
from ..evaluation import DEFAULT_DATA
from . import cli

data_option = click.option(
    "--data",
    type=click.Path(file_okay=False, path_type=Path),
    default=DEFAULT_DATA,
    show_default=True,
    envvar="ESSENTIEL_DATA",
    help="Folder of the development sets.",
)
limit_option = click.option(
    "--limit", type=click.IntRange(1), default=None, help="Evaluate on the first N items."
)
split_option = click.option(
    "--split",
    type=click.Choice(["dev", "test", "all"]),
    default="all",
    show_default=True,
    help="Which part of the set (where the set has a dev/test split).",
)
json_option = click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")


@cli.group("eval")
def evaluate() -> None:
    """Measure extraction, clustering and summaries on the development sets."""


def _run(module: str, data: Path, limit: int | None, split: str, as_json: bool, **extra: object) -> None:
    if not data.is_dir():
        raise InputError(f"{data}: no such folder (the development sets; see --data)")
    runner = importlib.import_module(f"essentiel.evaluation.{module}")
    runner.run(data, limit=limit, split=split, as_json=as_json, **extra)


@evaluate.command()
@data_option
@limit_option
@split_option
@json_option
def extraction(data: Path, limit: int | None, split: str, as_json: bool) -> None:
    """essentiel against bare trafilatura on trafilatura-eval and fundus-publisher-tests."""
    _run("extraction", data, limit, split, as_json)


@evaluate.command()
@data_option
@limit_option
@split_option
@json_option
def clustering(data: Path, limit: int | None, split: str, as_json: bool) -> None:
    """BCubed and pairwise scores on ECB+, with a TF-IDF baseline and each signal alone."""
    _run("clustering", data, limit, split, as_json)


@evaluate.command()
@data_option
@limit_option
@split_option
@json_option
@click.option(
    "--show",
    type=click.IntRange(0),
    default=20,
    show_default=True,
    help="Print the first summary sentence of N ECB+ events, with the event, for a hand check.",
)
def summaries(data: Path, limit: int | None, split: str, as_json: bool, show: int) -> None:
    """ROUGE on OrangeSum against the chapô, with Lead-1 and Lead-2 baselines; redundancy on ECB+."""
    _run("summaries", data, limit, split, as_json, show=show)
