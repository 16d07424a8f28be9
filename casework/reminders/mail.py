"""Sending one e-mail through the configured SMTP server."""

from __future__ import annotations

import hashlib
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate
from typing import Any, Protocol

SMTP_TIMEOUT_SECONDS = 15


class MailError(Exception):
    """The message was not accepted; ``code`` is safe to store and show (no address, no text)."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


class Mailer(Protocol):
    def send(self, to: str, subject: str, body: str, key: str) -> None: ...


def message_id(key: str) -> str:
    """The same outbox row always gets the same Message-ID, so a copy could be recognised."""
    return f"<{hashlib.sha256(key.encode()).hexdigest()[:32]}@casework>"


@dataclass(frozen=True)
class SmtpMailer:
    host: str
    port: int
    sender: str
    user: str = ""
    password: str = ""
    starttls: bool = False
    timeout: float = SMTP_TIMEOUT_SECONDS

    def build(self, to: str, subject: str, body: str, key: str) -> EmailMessage:
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = to
        message["Subject"] = subject
        message["Date"] = formatdate(localtime=False)
        message["Message-ID"] = message_id(key)
        message["Auto-Submitted"] = "auto-generated"
        message.set_content(body)
        return message

    def send(self, to: str, subject: str, body: str, key: str) -> None:
        message = self.build(to, subject, body, key)
        try:
            client = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        except (OSError, smtplib.SMTPException) as error:
            raise MailError("smtp_unreachable") from error
        try:
            if self.starttls:
                client.starttls(context=ssl.create_default_context())
            if self.user:
                client.login(self.user, self.password)
            client.send_message(message)
        except smtplib.SMTPRecipientsRefused as error:
            raise MailError("smtp_recipient_refused") from error
        except smtplib.SMTPAuthenticationError as error:
            raise MailError("smtp_authentication") from error
        except (OSError, smtplib.SMTPException) as error:
            raise MailError("smtp_refused") from error
        finally:
            # The message was accepted (or not) before QUIT: a failing QUIT changes nothing.
            try:
                client.quit()
            except (OSError, smtplib.SMTPException):
                client.close()


def mailer_from_config(config: Any) -> SmtpMailer | None:
    """The configured SMTP server, or None when e-mail is off (no ``CASEWORK_SMTP_HOST``)."""
    if not config.get("SMTP_HOST"):
        return None
    return SmtpMailer(
        host=config["SMTP_HOST"],
        port=int(config["SMTP_PORT"]),
        sender=config["MAIL_FROM"],
        user=config.get("SMTP_USER", ""),
        password=config.get("SMTP_PASSWORD", ""),
        starttls=bool(config.get("SMTP_STARTTLS")),
    )
