"""Sending one e-mail through the configured SMTP server."""

from __future__ import annotations

import secrets
import smtplib
import ssl
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate
from typing import Any, Protocol

from casework.core.outbox import DeliveryError

SMTP_TIMEOUT_SECONDS = 15
# The server refused this recipient for good (5xx), or the person has no address: retrying
# cannot help.
PERMANENT_ERRORS = frozenset({"smtp_recipient_refused", "no_address"})
# The server could not be reached or stopped answering: the next e-mails would fare no better.
SERVER_ERRORS = frozenset({"smtp_unreachable", "smtp_timeout"})


class MailError(DeliveryError):
    """The message was not accepted; ``code`` is safe to store and show (no address, no text)."""

    PERMANENT = PERMANENT_ERRORS
    SERVER_DOWN = SERVER_ERRORS


class Mailer(Protocol):
    timeout: float

    def send(self, to: str, subject: str, body: str, message_id: str) -> None: ...

    def close(self) -> None: ...


def new_message_id(sender: str) -> str:
    """A Message-ID, given once when the e-mail is queued: a resend after a crash carries the
    same one, so the copy can be recognised (and mail systems drop it)."""
    domain = sender.rpartition("@")[2].strip(" >") or "casework"
    return f"<{secrets.token_hex(16)}@{domain}>"


@dataclass
class SmtpMailer:
    """The configured SMTP server. One connection serves a whole run of the dispatcher (checked
    with NOOP before each message, opened again when the server dropped it); ``close`` ends it."""

    host: str
    port: int
    sender: str
    user: str = ""
    password: str = ""
    starttls: bool = False
    timeout: float = SMTP_TIMEOUT_SECONDS
    _client: smtplib.SMTP | None = field(default=None, repr=False, compare=False)

    def build(self, to: str, subject: str, body: str, message_id: str) -> EmailMessage:
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = to
        message["Subject"] = subject
        message["Date"] = formatdate(localtime=False)
        message["Message-ID"] = message_id
        message["Auto-Submitted"] = "auto-generated"
        message.set_content(body)
        return message

    def send(self, to: str, subject: str, body: str, message_id: str) -> None:
        self.deliver(self.build(to, subject, body, message_id))

    def deliver(self, message: EmailMessage) -> None:
        """Hand a built message over (``send``, or a message to a person with its calendar
        file); raises ``MailError``."""
        client = self._connected()
        try:
            client.send_message(message)
        except smtplib.SMTPRecipientsRefused as error:
            # 4xx (a full mailbox, greylisting) may pass later; 5xx will not.
            final = all(code >= 500 for code, _text in error.recipients.values())
            raise MailError("smtp_recipient_refused" if final else "smtp_refused") from error
        except TimeoutError as error:
            self.close()
            raise MailError("smtp_timeout") from error
        except smtplib.SMTPServerDisconnected as error:
            self.close()
            raise MailError("smtp_unreachable") from error
        except (OSError, smtplib.SMTPException) as error:
            self.close()
            raise MailError("smtp_refused") from error

    def _connected(self) -> smtplib.SMTP:
        if self._client is not None:
            try:
                if self._client.noop()[0] == 250:
                    return self._client
            except (OSError, smtplib.SMTPException):
                pass
            self.close()
        try:
            client = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        except TimeoutError as error:
            raise MailError("smtp_timeout") from error
        except (OSError, smtplib.SMTPException) as error:
            raise MailError("smtp_unreachable") from error
        self._client = client
        try:
            if self.starttls:
                client.starttls(context=ssl.create_default_context())
            if self.user:
                client.login(self.user, self.password)
        except smtplib.SMTPAuthenticationError as error:
            self.close()
            raise MailError("smtp_authentication") from error
        except TimeoutError as error:
            self.close()
            raise MailError("smtp_timeout") from error
        except (OSError, smtplib.SMTPException) as error:
            self.close()
            raise MailError("smtp_unreachable") from error
        return client

    def close(self) -> None:
        """End the conversation; a failing QUIT changes nothing (each message was accepted or
        not before it)."""
        client, self._client = self._client, None
        if client is None:
            return
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
        timeout=float(config.get("SMTP_TIMEOUT_SECONDS", SMTP_TIMEOUT_SECONDS)),
    )
