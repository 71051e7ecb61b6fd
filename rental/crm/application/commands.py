"""CRM's one command: the customer's communication preferences (the rest is event-driven)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from rental.crm.domain.preferences import Preferences, changes, valid_source
from rental.crm.infrastructure.repositories import CRMRepository
from rental.shared.errors import ValidationError

MAX_ID = 36


@dataclass(frozen=True)
class UpdateCommunicationPreferences:
    customer_id: str
    marketing_email: bool
    sms: bool
    newsletter: bool
    source: str  # "customer" | "staff:<email>"


class PreferenceCommands:
    def __init__(self, repository: CRMRepository, *, clock: Callable[[], datetime]) -> None:
        self.repo = repository
        self.clock = clock

    def update(self, cmd: UpdateCommunicationPreferences) -> list[tuple[str, bool]]:
        """Store the preferences; a consent-log row for each field that changed. Returns
        the changes (none: nothing written)."""
        if not cmd.customer_id or len(cmd.customer_id) > MAX_ID:
            raise ValidationError("Unknown customer.", field="customer_id")
        if not valid_source(cmd.source):
            raise ValidationError("The source is 'customer' or 'staff:<email>'.", field="source")
        values = (cmd.marketing_email, cmd.sms, cmd.newsletter)
        if not all(isinstance(v, bool) for v in values):
            raise ValidationError("Each preference is yes or no.", field="preferences")
        after = Preferences(*values)
        before = self.repo.preferences(cmd.customer_id, lock=True)
        changed = changes(before, after)
        if changed:
            self.repo.save_preferences(cmd.customer_id, after, changed, cmd.source, self.clock())
        return changed
