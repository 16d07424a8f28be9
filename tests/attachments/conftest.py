"""Fixtures for the attachments' tests: an agent's case, the services the app is configured with
(the test clamd), and an upload through the service layer."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import select

from casework.extensions import db
from tests import helpers


@dataclass(frozen=True)
class Documents:
    """Uploads through the service layer, for one agent's case."""

    app: object
    agent_id: int
    case_id: int

    def services(self, **changes):
        from dataclasses import replace

        from casework.attachments import operations

        return replace(operations.services_from(self.app.config), **changes)

    def upload(self, data: bytes, name: str = "diplome.pdf", services=None, **fields):
        """Upload ``data``; returns (attachment id or None, refusal reason or None) and commits."""
        from casework.attachments import operations
        from casework.auth.models import User
        from casework.cases.models import Case

        values = {"document_type": "diploma", "description": "Diplôme d'études", **fields}
        with self.app.app_context():
            outcome = operations.upload(
                db.session.get(User, self.agent_id),
                db.session.get(Case, self.case_id),
                io.BytesIO(data),
                name,
                operations.UploadFields(**values),
                services or self.services(),
            )
            attachment_id = outcome.attachment.id if outcome.attachment else None
            db.session.commit()
        return attachment_id, outcome.refusal.reason if outcome.refusal else None

    def get(self, attachment_id: int):
        from casework.attachments.models import Attachment

        with self.app.app_context():
            attachment = db.session.get(Attachment, attachment_id)
            db.session.expunge(attachment)
            return attachment

    @property
    def root(self) -> Path:
        return Path(self.app.config["ATTACHMENTS_DIR"])

    def stored_files(self) -> list[Path]:
        """Every file under the store's folder, the incoming folder included."""
        if not self.root.exists():
            return []
        return sorted(path for path in self.root.rglob("*") if path.is_file())

    def audit(self, action: str) -> list:
        from casework.core.audit import AuditEvent

        with self.app.app_context():
            rows = db.session.scalars(
                select(AuditEvent)
                .where(AuditEvent.action == action, AuditEvent.target_id == str(self.case_id))
                .order_by(AuditEvent.id)
            ).all()
            return [(row.outcome, dict(row.details)) for row in rows]


@pytest.fixture
def documents(app, make_user, make_case, tmp_path, monkeypatch) -> Documents:
    monkeypatch.setitem(app.config, "ATTACHMENTS_DIR", str(tmp_path / "attachments"))
    agent = make_user(role="agent", region="06")
    case = make_case(agent)
    return Documents(app, agent.id, case.id)


@pytest.fixture
def consent_and_referral(app, documents, make_user):
    """A referral of the documents' case sent to PROMIS under the person's consent
    (``helpers.consented_referral``), and a user of PROMIS."""
    partner = make_user(role="partner", organisation="promis")
    with app.app_context():
        referral_id = helpers.consented_referral(documents.agent_id, documents.case_id)
    return referral_id, partner
