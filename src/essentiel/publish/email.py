"""The daily e-mail: the edition as an HTML + plain-text multipart message, sent by SMTP.

`build_message` makes the message (no I/O); `send_edition` sends it with STARTTLS (port 587), implicit TLS
(`starttls = false` with port 465) or plain SMTP (`starttls = false` on another port, for a local relay),
logging in when a user name is set.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any

from ..errors import EssentielError
from ..models import Article, Edition
from ..web.i18n import Translator
from ..web.render import template_env
from .text import edition_text

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int = 587
    starttls: bool = True
    username: str = ""
    password: str = ""
    sender: str = ""
    recipients: tuple[str, ...] = ()
    timeout: float = 30.0

    @classmethod
    def from_config(cls, config: Any) -> SmtpSettings:
        """From a `Config` (its `email.*` settings)."""
        return cls(
            host=str(config["email.smtp_host"]),
            port=int(config["email.smtp_port"]),
            starttls=bool(config["email.starttls"]),
            username=str(config["email.username"]),
            password=str(config["email.password"]),
            sender=str(config["email.sender"]),
            recipients=tuple(config["email.recipients"]),
        )


def _domain(sender: str) -> str:
    return sender.rpartition("@")[2].strip("> ") or "essentiel.invalid"


def build_message(
    edition: Edition,
    articles: Mapping[str, Article],
    *,
    sender: str,
    recipients: Sequence[str],
    ui_language: str = "fr",
    title: str = "essentiel",
    base_url: str = "",
) -> EmailMessage:
    """The edition as a multipart/alternative message: the plain text first, then the HTML."""
    t = Translator(ui_language)
    base = base_url.rstrip("/")
    message = EmailMessage()
    message["Subject"] = t("email_subject", title=title, day=t.date(edition.day))
    message["From"] = Address(display_name=title, addr_spec=sender) if sender else title
    message["To"] = ", ".join(recipients)
    message["Date"] = format_datetime(edition.created_at)
    # Stable per edition: a resend of the same edition is recognisably the same message.
    stamp = int(edition.created_at.timestamp())
    message["Message-ID"] = f"<edition-{edition.day.isoformat()}-{stamp}@{_domain(sender)}>"
    message["Content-Language"] = t.lang
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(edition_text(edition, articles, t.lang, base_url=base))
    html = (
        template_env()
        .get_template("email.html")
        .render(t=t, lang=t.lang, edition=edition, articles=articles, site_title=title, base_url=base)
    )
    message.add_alternative(html, subtype="html")
    message.set_boundary(f"essentiel-{edition.day.isoformat()}-{stamp}")  # deterministic output
    return message


def send_message(
    message: EmailMessage, settings: SmtpSettings, context: ssl.SSLContext | None = None
) -> None:
    """Send by SMTP. `context` (default: the system's trust store) checks the server's certificate."""
    if not settings.host:
        raise EssentielError("email.smtp_host is not set: no e-mail can be sent")
    if not settings.recipients:
        raise EssentielError("email.recipients is empty: nobody to send the edition to")
    context = context or ssl.create_default_context()
    implicit_tls = not settings.starttls and settings.port == 465
    try:
        smtp: smtplib.SMTP
        if implicit_tls:
            smtp = smtplib.SMTP_SSL(settings.host, settings.port, timeout=settings.timeout, context=context)
        else:
            smtp = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)
        with smtp:
            if settings.starttls:
                smtp.starttls(context=context)
            if settings.username:
                smtp.login(settings.username, settings.password)
            refused = smtp.send_message(
                message, from_addr=settings.sender, to_addrs=list(settings.recipients)
            )
    except (smtplib.SMTPException, OSError) as exc:
        raise EssentielError(f"e-mail not sent via {settings.host}:{settings.port} ({exc})") from exc
    if refused:
        log.warning("some recipients refused: %s", sorted(refused))
    log.info("edition e-mail sent host=%s recipients=%d", settings.host, len(settings.recipients))


def send_edition(
    edition: Edition,
    articles: Mapping[str, Article],
    settings: SmtpSettings,
    *,
    ui_language: str = "fr",
    title: str = "essentiel",
    base_url: str = "",
    context: ssl.SSLContext | None = None,
) -> EmailMessage:
    """Build the edition's message and send it to `settings.recipients`; returns the message sent."""
    message = build_message(
        edition,
        articles,
        sender=settings.sender,
        recipients=settings.recipients,
        ui_language=ui_language,
        title=title,
        base_url=base_url,
    )
    send_message(message, settings, context)
    return message
