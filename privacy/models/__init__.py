"""Privacy models, one module per topic.

`policy` (policy versions, processors), `ledger` (the append-only consent ledger, audit trail
and deletion receipts), `retention` (retention periods, legal holds, pending erasures and
reminders), `requests` (data-subject requests, restrictions, exports). Everything is
re-exported here: `from privacy.models import X` works for every name.
"""

from .ledger import (
    AppendOnlyModel,
    AuditEvent,
    ConsentRecord,
    ConsentText,
    DeletionReceipt,
    hash_ip,
)
from .policy import PolicyVersion, Processor
from .requests import (
    DataExport,
    DataSubjectRequest,
    ProcessingRestriction,
    agent_authority_path,
    export_path,
)
from .retention import (
    LegalHold,
    PendingErasure,
    PendingFileDeletion,
    RetentionPolicy,
    RetentionReminder,
)

__all__ = [
    "AppendOnlyModel",
    "AuditEvent",
    "ConsentRecord",
    "ConsentText",
    "DataExport",
    "DataSubjectRequest",
    "DeletionReceipt",
    "LegalHold",
    "PendingErasure",
    "PendingFileDeletion",
    "PolicyVersion",
    "ProcessingRestriction",
    "Processor",
    "RetentionPolicy",
    "RetentionReminder",
    "agent_authority_path",
    "export_path",
    "hash_ip",
]
