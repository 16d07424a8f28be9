"""The SMS channel against the fake gateway: accepted, refused, error, timeout, an unknown reply;
signed receipts (delivered, failed), a bad signature, an unknown message; numbers in E.164, a
landline never texted, a malformed number on the timeline; the disclosure register."""

from __future__ import annotations

import json
import logging
from datetime import timedelta

import pytest
from sqlalchemy import select

from casework.extensions import db
from casework.messages import operations
from casework.messages.models import PersonMessage
from casework.messages.outbox import send_messages
from casework.messages.sms import FileGateway, signature, to_e164
from casework.referrals.models import Disclosure
from tests.messages.conftest import SECRET, book, daytime, messages_of

WEBHOOK = "/messages/sms/webhook"


def confirmation(appointment) -> PersonMessage:
    return next(
        m for m in messages_of(appointment) if m.kind == "confirmation" and m.channel == "sms"
    )


def post_signed(client, payload: dict, secret: str = SECRET):
    body = json.dumps(payload).encode()
    return client.post(
        WEBHOOK,
        data=body,
        content_type="application/json",
        headers={"X-Casework-Signature": signature(secret, body)},
    )


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("514 555-0123", "+15145550123"),
        ("(514) 555-0123", "+15145550123"),
        ("+33 6 12 34 56 78", "+33612345678"),
        ("555-0123", None),
        ("not a number", None),
        ("", None),
    ],
)
def test_numbers_are_normalised_to_e164(raw, expected):
    assert to_e164(raw) == expected


def test_accepted_sms_is_sent_with_a_bearer_token_and_disclosed(agent, gateway, fake_gateway):
    appointment = book(agent, consents=("contact_sms",), email=None)
    now = daytime()
    assert send_messages(now=now, gateway=gateway) == {"sent": 1}
    request = fake_gateway.requests[0]
    assert request["headers"]["Authorization"] == "Bearer token-for-tests"
    assert request["json"]["to"] == "+15145550123"
    body = request["json"]["body"]
    assert "Accompagnement Québec" in body and "STOP" in body
    # Least said: no need, no category, no name of the person's situation.
    assert "économique" not in body.lower() and "economic" not in body.lower()
    message = confirmation(appointment)
    assert (message.status, message.provider_id) == ("sent", "gw-1")
    assert request["headers"]["Idempotency-Key"] == message.message_id
    disclosure = db.session.scalar(
        select(Disclosure).where(Disclosure.case_id == appointment.case_id)
    )
    assert disclosure.recipient == "SMS gateway"
    assert disclosure.legal_basis == "consent:contact_sms"
    assert disclosure.consent_id == message.consent_id is not None
    assert "phone_number" in disclosure.categories


@pytest.mark.parametrize(
    "mode, status, error",
    [
        ("refuse", "failed", "gateway_refused"),
        ("garbage", "failed", "gateway_unknown_reply"),
        ("error", "pending", "gateway_error"),
        ("timeout", "pending", "gateway_timeout"),
    ],
)
def test_gateway_failures_fail_or_retry_with_backoff(
    agent, gateway, fake_gateway, mode, status, error
):
    appointment = book(agent, consents=("contact_sms",), email=None)
    fake_gateway.mode = mode
    now = daytime()
    counts = send_messages(now=now, gateway=gateway)
    message = confirmation(appointment)
    assert (message.status, message.last_error) == (status, error)
    assert counts == {"failed" if status == "failed" else "retry": 1}
    if status == "pending":
        # Retried later, not at once: no retry storm.
        assert message.next_attempt_at > now
        assert send_messages(now=now + timedelta(seconds=1), gateway=gateway) == {}
    assert not db.session.scalar(
        select(Disclosure).where(Disclosure.case_id == appointment.case_id)
    )


def test_receipts_mark_delivered_or_failed(agent, gateway, client):
    first = book(agent, consents=("contact_sms",), email=None)
    second = book(agent, consents=("contact_sms",), email=None, phone="438 555-0199")
    send_messages(now=daytime(), gateway=gateway)
    one, two = confirmation(first), confirmation(second)
    assert post_signed(client, {"id": one.provider_id, "status": "delivered"}).json == {
        "result": "delivered"
    }
    assert post_signed(client, {"id": two.provider_id, "status": "failed"}).status_code == 200
    db.session.expire_all()
    assert one.status == "delivered" and one.delivered_at is not None
    assert (two.status, two.last_error) == ("failed", "receipt_failed")
    assert operations.reached([two]) == "failed"


def test_bad_signature_is_401_and_records_nothing(agent, gateway, client):
    appointment = book(agent, consents=("contact_sms",), email=None)
    send_messages(now=daytime(), gateway=gateway)
    message = confirmation(appointment)
    payload = {"id": message.provider_id, "status": "delivered"}
    assert post_signed(client, payload, secret="not-the-secret").status_code == 401
    unsigned = client.post(WEBHOOK, data=json.dumps(payload), content_type="application/json")
    assert unsigned.status_code == 401
    db.session.expire_all()
    assert message.status == "sent"


def test_receipt_for_an_unknown_message_is_ignored_and_logged(gateway, client, caplog):
    with caplog.at_level(logging.WARNING, logger="casework.messages.outbox"):
        response = post_signed(client, {"id": "gw-nobody", "status": "delivered"})
    assert response.status_code == 200 and response.json == {"result": "unknown"}
    assert "unknown message" in caplog.text and "gw-nobody" not in caplog.text
    assert post_signed(client, {"id": "x", "status": "teleported"}).json == {"result": "ignored"}
    assert post_signed(client, ["not", "an", "object"]).status_code == 400


def test_stop_in_reply_withdraws_the_sms_consent(agent, gateway, client):
    appointment = book(agent, consents=("contact_sms",), email=None)
    send_messages(now=daytime(), gateway=gateway)
    reply = {"type": "inbound", "from": "+1 514 555 0123", "text": " stop "}
    assert post_signed(client, reply).json == {"result": "opted_out"}
    db.session.expire_all()
    reminder = next(m for m in messages_of(appointment) if m.kind == "reminder")
    assert (reminder.status, reminder.last_error) == ("cancelled", "consent_withdrawn")
    assert operations.withdrawals(appointment.case)[0].purpose == "contact_sms"
    assert post_signed(client, reply).json == {"result": "already"}


def test_a_landline_is_never_texted(agent, gateway):
    from casework.cases.models import Case

    appointment = book(agent, consents=(), email=None)
    case = db.session.get(Case, appointment.case_id)
    operations.update_settings(agent, case, True, "America/Toronto")
    from datetime import date

    from casework.cases import operations as cases

    cases.record_consent(agent, case, "contact_sms", date.today(), "verbal")
    operations.queue_for_appointment(appointment.id, "confirmation")
    assert [m for m in messages_of(appointment) if m.channel == "sms"] == []


def test_a_malformed_number_is_on_the_timeline_not_sent(agent, gateway, fake_gateway):
    appointment = book(agent, consents=("contact_sms",), email=None, stored_phone="12")
    message = confirmation(appointment)
    assert (message.status, message.last_error) == ("failed", "bad_number")
    assert send_messages(now=daytime(), gateway=gateway) == {}
    assert fake_gateway.requests == []


def test_file_driver_writes_each_message(tmp_path):
    driver = FileGateway(str(tmp_path))
    assert driver.send("+15145550123", "Bonjour", "sms-1") == "sms-1"
    written = json.loads((tmp_path / "sms-1.json").read_text())
    assert written == {"to": "+15145550123", "body": "Bonjour", "reference": "sms-1"}


def test_a_half_configured_gateway_is_refused_at_start():
    from casework.config import ConfigError, sms_driver

    assert sms_driver("", "", "", "") == ""
    assert sms_driver("FILE", "", "", "") == "file"
    assert sms_driver("http", "https://sms.exemple.ca/v1", "t", "s") == "http"
    for args in (
        ("carrier-pigeon", "", "", ""),
        ("http", "", "t", "s"),
        ("http", "https://sms.exemple.ca", "t", ""),
        ("http", "http://sms.exemple.ca", "t", "s"),
    ):
        with pytest.raises(ConfigError):
            sms_driver(*args)
