"""Forms for documents: upload, sharing, deletion."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import DateField, IntegerField, SelectField, StringField
from wtforms.validators import InputRequired, Optional
from wtforms.widgets import HiddenInput

from casework.attachments.operations import DELETION_REASONS, DESCRIPTION_MAX, DOCUMENT_TYPES
from casework.core.forms import BaseForm, max_length, required


class UploadForm(BaseForm):
    # The hint (kinds and size limit) is written by the template, which knows the limit.
    file = FileField(
        _l("File"), validators=[FileRequired(message=_l("Choose the file to attach."))]
    )
    document_type = SelectField(
        _l("Type of document"),
        choices=[("", _l("— Choose —")), *DOCUMENT_TYPES.items()],
        validators=[required()],
    )
    description = StringField(
        _l("Description"),
        validators=[required(), max_length(DESCRIPTION_MAX)],
        description=_l("For example « DEC en soins infirmiers, Cégep de Sherbrooke »."),
    )
    expires_on = DateField(
        _l("Expiry date (optional)"),
        validators=[Optional()],
        description=_l("A permit or a lease: a reminder comes before it expires."),
    )


class ShareForm(BaseForm):
    referral_id = SelectField(_l("Referral"), coerce=int, validators=[InputRequired()])


class DeleteForm(BaseForm):
    reason = SelectField(
        _l("Why is the document deleted?"),
        choices=[("", _l("— Choose —")), *DELETION_REASONS.items()],
        validators=[required()],
    )
    version = IntegerField(widget=HiddenInput(), validators=[InputRequired()])
