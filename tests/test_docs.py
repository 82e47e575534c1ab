"""Every setting and every CLI command is documented (as datasette's tests/test_docs.py does)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import click
import pytest

from essentiel.cli import cli
from essentiel.config import SETTINGS
from essentiel.rank import RankWeights

ROOT = Path(__file__).resolve().parent.parent


def commands(group: click.Group, prefix: str = "") -> list[str]:
    found = []
    for name, command in sorted(group.commands.items()):
        found.append(f"{prefix}{name}")
        if isinstance(command, click.Group):
            found += commands(command, f"{prefix}{name} ")
    return found


@pytest.mark.parametrize("setting", SETTINGS, ids=[s.key for s in SETTINGS])
def test_every_setting_is_documented(setting: object) -> None:
    text = (ROOT / "docs/configuration.md").read_text(encoding="utf-8")
    key = setting.key
    assert f"`{key}`" in text and f"`ESSENTIEL_{key.replace('.', '_').upper()}`" in text


@pytest.mark.parametrize("command", commands(cli))
def test_every_command_is_documented(command: str) -> None:
    docs = (ROOT / "docs/cli.md").read_text(encoding="utf-8")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    name = command.split()[-1]
    assert f"essentiel {command}" in docs or f"essentiel {command.split()[0]} " in docs and name in docs
    assert command.split()[0] in readme


def test_ranking_settings_are_the_ranker_defaults() -> None:
    defaults = {f.name: f.default for f in dataclasses.fields(RankWeights)}
    settings = {s.key.removeprefix("ranking."): s.default for s in SETTINGS if s.key.startswith("ranking.")}
    assert settings == defaults
