"""`essentiel publish --static DIR` and `essentiel email [--dry-run]` over a real store (and SMTP sink)."""

from __future__ import annotations

import email
import json
from pathlib import Path

from aiosmtpd.controller import Controller
from click.testing import CliRunner

import essentiel.cli.publishing  # noqa: F401  (registers the commands until cli/__init__ imports it)
from essentiel.cli import cli
from test_email import Sink
from test_web import _free_port, build_store


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    return {"ESSENTIEL_GENERAL_DATABASE": str(build_store(tmp_path / "t.db")), **extra}


def test_publish_static(tmp_path: Path) -> None:
    out = tmp_path / "site"
    result = CliRunner().invoke(cli, ["publish", "--static", str(out), "--json"], env=_env(tmp_path))
    assert result.exit_code == 0, result.output
    files = json.loads(result.output)["files"]
    for name in ("index.html", "feed.atom", "feed.xml", "story/s-pensions.html", "static/keys.js"):
        assert name in files and (out / name).is_file()


def test_publish_without_database_is_a_user_error(tmp_path: Path) -> None:
    env = {"ESSENTIEL_GENERAL_DATABASE": str(tmp_path / "missing.db")}
    result = CliRunner().invoke(cli, ["publish", "--static", str(tmp_path / "s")], env=env)
    assert result.exit_code == 2 and "no database yet" in result.output


def test_email_dry_run_and_send(tmp_path: Path) -> None:
    handler = Sink()
    controller = Controller(handler, hostname="127.0.0.1", port=_free_port())
    controller.start()
    try:
        env = _env(
            tmp_path,
            ESSENTIEL_EMAIL_SMTP_HOST="127.0.0.1",
            ESSENTIEL_EMAIL_SMTP_PORT=str(controller.port),
            ESSENTIEL_EMAIL_STARTTLS="false",
            ESSENTIEL_EMAIL_SENDER="news@example.org",
            ESSENTIEL_EMAIL_RECIPIENTS='["reader@example.org"]',
        )
        dry = CliRunner().invoke(cli, ["email", "--dry-run"], env=env)
        assert dry.exit_code == 0, dry.output
        assert email.message_from_string(dry.output).get_content_type() == "multipart/alternative"
        assert handler.received == []
        sent = CliRunner().invoke(cli, ["email"], env=env)
        assert sent.exit_code == 0, sent.output
    finally:
        controller.stop()
    assert [envelope.rcpt_tos for envelope, _ in handler.received] == [["reader@example.org"]]
