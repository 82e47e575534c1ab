"""The daily e-mail, sent to a real SMTP server on loopback (aiosmtpd): plain, with login, and over STARTTLS."""

from __future__ import annotations

import email
import shutil
import ssl
import subprocess
from collections.abc import Iterator
from email.message import EmailMessage, Message
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, Envelope, LoginPassword, Session

from essentiel.errors import EssentielError
from essentiel.models import Edition
from essentiel.publish.email import SmtpSettings, build_message, send_edition
from essentiel.store import open_store
from test_web import ARTICLES, _free_port, build_store


class Sink:
    """An SMTP handler that keeps every message it receives."""

    def __init__(self) -> None:
        self.received: list[tuple[Envelope, Message]] = []

    async def handle_DATA(self, server: Any, session: Session, envelope: Envelope) -> str:
        content = envelope.content if isinstance(envelope.content, bytes) else b""
        self.received.append((envelope, email.message_from_bytes(content)))
        return "250 OK"


def authenticator(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
    ok = isinstance(data, LoginPassword) and (data.login, data.password) == (b"reader", b"s3cret")
    return AuthResult(success=ok)


@pytest.fixture
def edition(tmp_path: Path) -> tuple[Edition, dict[str, Any]]:
    with open_store(build_store(tmp_path / "t.db"), readonly=True) as store:
        latest = store.latest_edition()
        assert latest is not None
        return latest, {a.id: a for a in store.get_articles([a.id for a in ARTICLES])}


def _run(controller: Controller) -> Iterator[Controller]:
    controller.start()
    try:
        yield controller
    finally:
        controller.stop()


@pytest.fixture
def sink() -> Iterator[tuple[Sink, int]]:
    handler = Sink()
    controller = Controller(
        handler, hostname="127.0.0.1", port=_free_port(), authenticator=authenticator, auth_require_tls=False
    )
    for running in _run(controller):
        yield handler, running.port


def _parts(message: Message) -> dict[str, str]:
    parts = {}
    for part in message.walk():
        if part.get_content_maintype() == "text":
            payload = part.get_payload(decode=True)
            assert isinstance(payload, bytes)
            parts[part.get_content_type()] = payload.decode(part.get_content_charset() or "utf-8")
    return parts


def test_message_is_multipart_text_and_html(edition: tuple[Edition, dict[str, Any]]) -> None:
    message = build_message(
        edition[0], edition[1], sender="news@example.org", recipients=["a@example.org"], ui_language="en",
        base_url="https://news.example.org",
    )  # fmt: skip
    assert message.get_content_type() == "multipart/alternative"
    assert message["Subject"] == "essentiel — Wednesday, November 25, 2026"
    parts = _parts(message)
    assert "1. L’Assemblée adopte la réforme des retraites" in parts["text/plain"]
    html = parts["text/html"]
    assert "Tempête &lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>" not in html
    assert 'href="https://news.example.org/story/s-pensions"' in html
    assert 'href="https://www.lemonde.fr/politique/retraites.html"' in html
    again = build_message(
        edition[0],
        edition[1],
        sender="news@example.org",
        recipients=["a@example.org"],
        ui_language="en",
        base_url="https://news.example.org",
    )
    assert again.as_bytes() == message.as_bytes()  # deterministic, Message-ID included


def test_send_with_login(sink: tuple[Sink, int], edition: tuple[Edition, dict[str, Any]]) -> None:
    handler, port = sink
    settings = SmtpSettings(
        host="127.0.0.1", port=port, starttls=False, username="reader", password="s3cret",
        sender="news@example.org", recipients=("a@example.org", "b@example.org"),
    )  # fmt: skip
    sent = send_edition(edition[0], edition[1], settings, ui_language="fr")
    assert len(handler.received) == 1
    envelope, received = handler.received[0]
    assert envelope.mail_from == "news@example.org"
    assert envelope.rcpt_tos == ["a@example.org", "b@example.org"]
    assert received["Message-ID"] == sent["Message-ID"]
    assert "Les nouvelles les plus importantes de la journée" in _parts(received)["text/plain"]
    wrong = SmtpSettings(**{**settings.__dict__, "password": "nope", "timeout": 2})
    with pytest.raises(EssentielError, match="not sent"):
        send_edition(edition[0], edition[1], wrong)
    assert len(handler.received) == 1


def test_settings_are_checked(edition: tuple[Edition, dict[str, Any]]) -> None:
    with pytest.raises(EssentielError, match="smtp_host"):
        send_edition(edition[0], edition[1], SmtpSettings(host="", recipients=("a@example.org",)))
    with pytest.raises(EssentielError, match="recipients"):
        send_edition(edition[0], edition[1], SmtpSettings(host="127.0.0.1"))


def _certificate(folder: Path) -> tuple[Path, Path]:
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a test certificate")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
         "-days", "2", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


def test_send_over_starttls(tmp_path: Path, edition: tuple[Edition, dict[str, Any]]) -> None:
    cert, key = _certificate(tmp_path)
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_context.load_cert_chain(cert, key)
    handler = Sink()
    controller = Controller(
        handler, hostname="127.0.0.1", port=_free_port(), tls_context=server_context, require_starttls=True,
        authenticator=authenticator,
    )  # fmt: skip
    client_context = ssl.create_default_context(cafile=str(cert))  # the test CA only: verification stays on
    for running in _run(controller):
        port = running.port
        settings = SmtpSettings(
            host="127.0.0.1", port=port, starttls=True, username="reader", password="s3cret",
            sender="news@example.org", recipients=("a@example.org",), timeout=5,
        )  # fmt: skip
        send_edition(edition[0], edition[1], settings, context=client_context)
        with pytest.raises(EssentielError, match="not sent"):  # an unknown certificate is refused
            send_edition(edition[0], edition[1], settings, context=ssl.create_default_context())
    assert len(handler.received) == 1
    assert isinstance(handler.received[0][1], EmailMessage | Message)
