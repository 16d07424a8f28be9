"""Text messages: the gateway interface, its two drivers, numbers in E.164, signed receipts.

- ``HttpGateway`` posts JSON (``to``, ``body``, ``reference``) to ``CASEWORK_SMS_URL`` with a
  bearer token; the gateway answers with its id for the message, and later posts delivery
  receipts (and the replies people send, such as STOP) to ``/messages/sms/webhook``, signed with
  HMAC-SHA256 of the body under ``CASEWORK_SMS_WEBHOOK_SECRET``.
- ``FileGateway`` writes each message as a JSON file into a folder: for development and demos.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import phonenumbers

from casework.core.outbox import DeliveryError

SMS_TIMEOUT_SECONDS = 10
# Retrying cannot help: the gateway refused the number or the text, or answered nonsense (it
# may have sent it: a second try could send a copy; the agent sees it failed and calls).
PERMANENT_ERRORS = frozenset({"gateway_refused", "gateway_unknown_reply", "bad_number"})
SERVER_ERRORS = frozenset({"gateway_unreachable", "gateway_timeout"})
SIGNATURE_HEADER = "X-Casework-Signature"
# Québec numbers are written without their country code.
DEFAULT_REGION = "CA"


class SmsError(DeliveryError):
    """Not accepted by the gateway; ``code`` is safe to store and show."""

    PERMANENT = PERMANENT_ERRORS
    SERVER_DOWN = SERVER_ERRORS


class SmsGateway(Protocol):
    timeout: float

    def send(self, to: str, body: str, reference: str) -> str:
        """Hand over one message; returns the gateway's id for it, or raises ``SmsError``."""
        ...

    def close(self) -> None: ...


def to_e164(raw: str | None) -> str | None:
    """The number in E.164 (+15145550123), or None when it is not a valid phone number."""
    if not raw or not raw.strip():
        return None
    try:
        number = phonenumbers.parse(raw, DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def new_reference() -> str:
    """Given once when the SMS is queued: a resend after a crash carries the same one, so a
    gateway that deduplicates drops the copy."""
    return f"sms-{secrets.token_hex(12)}"


@dataclass
class HttpGateway:
    url: str
    token: str
    sender: str = ""
    timeout: float = SMS_TIMEOUT_SECONDS

    def send(self, to: str, body: str, reference: str) -> str:
        payload = {"to": to, "body": body, "reference": reference}
        if self.sender:
            payload["from"] = self.sender
        request = urllib.request.Request(
            self.url,
            data=json.dumps(payload).encode(),
            method="POST",
            headers={
                "Content-Type": "application/json",
                "Authorization": f"Bearer {self.token}",
                "Idempotency-Key": reference,
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                raw = response.read(65536)
        except urllib.error.HTTPError as error:
            # 429 and 5xx may pass later; any other 4xx will not.
            retry = error.code == 429 or error.code >= 500
            raise SmsError("gateway_error" if retry else "gateway_refused") from error
        except TimeoutError as error:
            raise SmsError("gateway_timeout") from error
        except urllib.error.URLError as error:
            if isinstance(error.reason, TimeoutError):
                raise SmsError("gateway_timeout") from error
            raise SmsError("gateway_unreachable") from error
        except OSError as error:
            raise SmsError("gateway_unreachable") from error
        return _message_id(raw)

    def close(self) -> None:
        """Each message is its own request: nothing to end."""


def _message_id(raw: bytes) -> str:
    try:
        answer = json.loads(raw)
    except ValueError as error:
        raise SmsError("gateway_unknown_reply") from error
    identifier = answer.get("id") if isinstance(answer, dict) else None
    if not isinstance(identifier, str | int) or not str(identifier).strip():
        raise SmsError("gateway_unknown_reply")
    return str(identifier)[:100]


@dataclass
class FileGateway:
    """Each message becomes ``<reference>.json`` in ``folder``: nothing leaves the machine."""

    folder: str
    timeout: float = 1.0

    def send(self, to: str, body: str, reference: str) -> str:
        folder = Path(self.folder)
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{reference}.json"
        path.write_text(
            json.dumps({"to": to, "body": body, "reference": reference}, ensure_ascii=False)
        )
        path.chmod(0o600)
        return reference

    def close(self) -> None:
        """Nothing held open."""


def gateway_from_config(config: Any) -> SmsGateway | None:
    """The configured gateway, or None when SMS is off (no ``CASEWORK_SMS_DRIVER``)."""
    driver = config.get("SMS_DRIVER", "")
    if driver == "http":
        return HttpGateway(
            url=config["SMS_URL"],
            token=config["SMS_TOKEN"],
            sender=config.get("SMS_SENDER", ""),
            timeout=float(config.get("SMS_TIMEOUT_SECONDS", SMS_TIMEOUT_SECONDS)),
        )
    if driver == "file":
        return FileGateway(folder=config["SMS_DIR"])
    return None


def signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def signature_is_valid(secret: str, body: bytes, given: str | None) -> bool:
    """Constant-time comparison; with no secret configured, nothing is accepted."""
    if not secret or not given:
        return False
    return hmac.compare_digest(signature(secret, body), given.strip())
