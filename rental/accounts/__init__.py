"""Staff accounts: users with roles, login and the protection of everything under /admin.

Other code imports only from here."""

from rental.accounts.application.commands import (
    ChangeOwnPassword,
    ChangeRole,
    CreateStaffUser,
    DeactivateUser,
    ReactivateUser,
    StaffSessionDetails,
    StaffUserDetails,
)
from rental.accounts.facade import AccountsFacade

__all__ = [
    "AccountsFacade",
    "ChangeOwnPassword",
    "ChangeRole",
    "CreateStaffUser",
    "DeactivateUser",
    "ReactivateUser",
    "StaffSessionDetails",
    "StaffUserDetails",
]
