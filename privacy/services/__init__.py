"""Privacy services, one module per concept.

The core imports no other app: `audit`, `consent` (ledger, restrictions, GPC), `receipts`,
`holds`, `retention` (dates), `deadlines`, `mail`. The workflows on top walk the registry of
personal data (`privacy.registry`) that the other apps fill: `erasure` (withdrawal, "delete my
photos now", session and account erasure), `sweep` (retention), `requests` (data-subject
requests), `exports`, `stats`. Other apps call what this module re-exports.
"""

from .audit import audit_log, audit_photo_view, subject_ref_for
from .consent import (
    RESTRICTABLE_PURPOSES,
    consent_is_current,
    consent_latest,
    consent_needs_renewal,
    consent_record,
    cookie_choice_latest,
    cookie_choice_record,
    gpc_record,
    processing_restricted,
    restriction_lift,
    restriction_place,
)
from .deadlines import add_business_days, add_months, dsar_deadlines, jurisdictions_for_region
from .erasure import (
    account_emails,
    account_erase,
    consent_withdraw,
    hold_release,
    photos_erase_now,
    session_data_erase,
)
from .errors import PrivacyError
from .exports import (
    export_build,
    export_data,
    export_from_token,
    export_link,
    export_notify,
    export_request,
)
from .holds import active_holds, hold_applies, hold_place
from .receipts import GENESIS_HASH, file_erase, receipt_append, receipts_verify
from .requests import (
    dsr_agent_confirm,
    dsr_close,
    dsr_create,
    dsr_extend,
    dsr_from_token,
    dsr_fulfil,
    dsr_refuse,
    dsr_token,
    dsr_verify,
    dsr_visitor_verify,
)
from .retention import retention_dates, retention_deadlines, retention_periods
from .stats import privacy_stats
from .sweep import retention_reminders_send, retention_sweep, sessions_due

__all__ = [
    "GENESIS_HASH",
    "RESTRICTABLE_PURPOSES",
    "PrivacyError",
    "account_emails",
    "account_erase",
    "active_holds",
    "add_business_days",
    "add_months",
    "audit_log",
    "audit_photo_view",
    "consent_is_current",
    "consent_latest",
    "consent_needs_renewal",
    "consent_record",
    "consent_withdraw",
    "cookie_choice_latest",
    "cookie_choice_record",
    "dsar_deadlines",
    "dsr_agent_confirm",
    "dsr_close",
    "dsr_create",
    "dsr_extend",
    "dsr_from_token",
    "dsr_fulfil",
    "dsr_refuse",
    "dsr_token",
    "dsr_verify",
    "dsr_visitor_verify",
    "export_build",
    "export_data",
    "export_from_token",
    "export_link",
    "export_notify",
    "export_request",
    "file_erase",
    "gpc_record",
    "hold_applies",
    "hold_place",
    "hold_release",
    "jurisdictions_for_region",
    "photos_erase_now",
    "privacy_stats",
    "processing_restricted",
    "receipt_append",
    "receipts_verify",
    "restriction_lift",
    "restriction_place",
    "retention_dates",
    "retention_deadlines",
    "retention_periods",
    "retention_reminders_send",
    "retention_sweep",
    "sessions_due",
    "session_data_erase",
    "subject_ref_for",
]
