"""The web layer of staff accounts: one blueprint (`accounts.*`) for three audiences, and the
request hooks that protect every admin page of every module.

    sign_in.py       /login and /logout; the Flask-Login user and loader; starting and ending
                     the browser's session (a fresh cookie per sign-in, LOGIN_AT stamp)
    gate.py          install_login_and_admin_gate(app): Flask-Login, the /admin gate
                     (before_request), no-store for staff pages, the `can_access` template global
    account.py       /admin/account: the signed-in user's password and sign-ins (any staff)
    staff_users.py   /admin/users: staff user admin and unlocking sign-in (admins only)

Why the gate lives here: it is HTTP glue (a path prefix, a redirect or a 403, the view's
`admin_only` mark, the cookie), installed once by module.init_app. What it relies on — which
sessions are live, whose password is right, when sign-in is paused — is decided in the
application layer (SignInCommands, SessionCommands, LoginThrottle) through AccountsFacade.
"""

from rental.accounts.web import account, sign_in, staff_users
from rental.accounts.web.blueprint import bp
from rental.accounts.web.gate import install_login_and_admin_gate

__all__ = ["account", "bp", "install_login_and_admin_gate", "sign_in", "staff_users"]
