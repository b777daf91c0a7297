"""The register's tables. Import models from here."""

from tracker.models.api_tokens import ApiToken
from tracker.models.audit import AuditEntry
from tracker.models.channels import CHANNEL_KINDS, Channel, ChannelDelivery  # noqa: F401
from tracker.models.feeds import FeedBody, FeedSequence, FeedToken, FeedValidator
from tracker.models.organization import OrganizationSettings  # noqa: F401
from tracker.models.outbox import MESSAGE_KINDS, MESSAGE_STATUSES, OutboxItem, OutboxMessage, ReminderRun
from tracker.models.people import ROLES, Team, User, team_members
from tracker.models.security import LoginAttempt, UserSession
from tracker.models.signin import OidcGroupMapping, OidcIdentity, group_mapping_teams  # noqa: F401
from tracker.models.watches import (  # noqa: F401
    PROPOSAL_STATUSES, EventProvenance, Proposal, Watch, WatchObservation,
)
from tracker.models.register import (
    OBLIGATION_STATUSES,
    SOURCE_KINDS,
    ChangeCause,
    DeadlineHistory,
    Event,
    Obligation,
    Source,
    obligation_events,
)
from tracker.models.work import SavedView, WorkNotice  # noqa: F401
from tracker.models.comments import Comment  # noqa: F401
from tracker.models.evidence import ObligationEvidence, ObligationEvidenceChunk  # noqa: F401
from tracker.models.vendor_responses import VendorContactFeedToken, VendorMailItem  # noqa: F401
from tracker.models.vendors import (  # noqa: F401
    CONTACT_ROLES,
    REQUEST_STATUSES,
    VENDOR_STATUSES,
    ObligationVendorScope,
    Vendor,
    VendorAttestation,
    VendorContact,
    VendorEvidence,
    VendorEvidenceChunk,
    VendorLink,
    VendorRequest,
    VendorRequestHistory,
)

__all__ = [
    "ApiToken",
    "AuditEntry",
    "MESSAGE_KINDS",
    "MESSAGE_STATUSES",
    "OutboxItem",
    "OutboxMessage",
    "ChangeCause",
    "ReminderRun",
    "DeadlineHistory",
    "Event",
    "FeedSequence",
    "FeedBody",
    "FeedValidator",
    "FeedToken",
    "LoginAttempt",
    "OBLIGATION_STATUSES",
    "Obligation",
    "ROLES",
    "SOURCE_KINDS",
    "Source",
    "Team",
    "User",
    "UserSession",
    "obligation_events",
    "team_members",
    "ObligationVendorScope",
    "Vendor",
    "VendorAttestation",
    "VendorContact",
    "VendorEvidence",
    "VendorEvidenceChunk",
    "VendorLink",
    "VendorRequest",
    "VendorRequestHistory",
]
