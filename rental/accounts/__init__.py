"""Staff accounts: users with roles, signing in, and the protection of everything under /admin.

Other code imports only from here.

Layout (the shape every module has, docs/architecture.md):
    facade.py                    AccountsFacade: wiring (hasher, session lifetime, throttle,
                                 repositories, clock) and one unit_of_work per command
    module.py                    init_app: the login throttle, Flask-Login and the /admin
                                 gate, pages, session purge job, admin menu entry, CLI, demo
    cli.py                       `flask accounts create-admin | reset-password | unlock | …`
    demo.py                      demo staff users for `flask seed-demo`
    domain/models.py             StaffUser, StaffSession, roles, password policy, login ID,
                                 the sign-in errors (pure)
    application/commands.py      commands + StaffUserCommands, SessionCommands, LoginThrottle
                                 (failed sign-in counters) and SignInCommands (sign in, resume)
    application/queries.py       AccountQueries + every DTO
    infrastructure/              entities, repositories, passwords (Argon2id)
    web/                         the pages (sign_in, account, staff_users) and gate.py

Where the login machinery lives: the rules — whose password is right, which sessions are
live, when sign-in is paused — are in the application layer behind AccountsFacade; the web
layer keeps only the HTTP side: the Flask-Login user and cookie (web/sign_in.py) and the
/admin gate installed as request hooks by module.init_app (web/gate.py). The module
subscribes to no events, so it has no application/event_handlers.py.
"""

from rental.accounts.application.commands import (
    ChangeOwnPassword,
    ChangeRole,
    CreateStaffUser,
    DeactivateUser,
    ReactivateUser,
    SignIn,
)
from rental.accounts.application.queries import (
    SignInStatus,
    StaffSessionDetails,
    StaffUserDetails,
    StaffUserEntry,
)
from rental.accounts.domain.models import SignInPaused, SignInRejected
from rental.accounts.facade import AccountsFacade

__all__ = [
    "AccountsFacade",
    "ChangeOwnPassword",
    "ChangeRole",
    "CreateStaffUser",
    "DeactivateUser",
    "ReactivateUser",
    "SignIn",
    "SignInPaused",
    "SignInRejected",
    "SignInStatus",
    "StaffSessionDetails",
    "StaffUserDetails",
    "StaffUserEntry",
]
