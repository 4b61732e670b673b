"""Every event type the platform publishes, by its name (consumers validate by it; the
AsyncAPI document lists them)."""
from __future__ import annotations

from services.contracts.catalogue import (CoursePublished, CourseUpdated, CourseWithdrawn, FundingSchemePublished,
                                          FundingSchemeUpdated, ProviderRegistered)
from services.contracts.events import Event
from services.contracts.intake import (CallbackDueSoon, CallbackOverdue, IntakeAssigned, IntakeErased,
                                       IntakeOutcomeRecorded, IntakeSubmitted, LeadShared)
from services.contracts.search import CourseViewed, SearchPerformed, SearchResultClicked

EVENT_TYPES: dict[str, type[Event]] = {
    cls.event_type: cls
    for cls in (ProviderRegistered, CoursePublished, CourseUpdated, CourseWithdrawn, FundingSchemePublished,
                FundingSchemeUpdated, SearchPerformed, SearchResultClicked, CourseViewed, IntakeSubmitted, IntakeAssigned, CallbackDueSoon,
                CallbackOverdue, IntakeOutcomeRecorded, IntakeErased, LeadShared)
}
