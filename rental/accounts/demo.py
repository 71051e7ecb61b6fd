"""Demo staff accounts for `flask seed-demo`: an admin and a staff member with random
passwords, written to DEMO_CREDENTIALS_FILE (instance/demo-admin.txt, git-ignored) so that
`make run` can print them. Only the demo seeder creates them; production uses
`flask accounts create-admin`."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from flask import current_app

from rental.accounts.application.commands import CreateStaffUser
from rental.accounts.facade import AccountsFacade

DEMO_USERS = (("admin@example.com", "ADMIN"), ("staff@example.com", "STAFF"))


def credentials_file() -> Path:
    configured = current_app.config.get("DEMO_CREDENTIALS_FILE")
    return Path(configured) if configured else Path(current_app.instance_path) / "demo-admin.txt"


def seed_staff() -> None:
    facade = AccountsFacade()
    created: list[tuple[str, str, str]] = []
    for email, role in DEMO_USERS:
        if facade.find_user_by_email(email) is None:
            password = secrets.token_urlsafe(12)
            facade.create_user(CreateStaffUser(email=email, password=password, role=role))
            created.append((role, email, password))
    if created:
        _write(created)


def _write(created: list[tuple[str, str, str]]) -> None:
    path = credentials_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    emails = {email for _role, email, _password in created}
    kept = []
    if path.exists():  # keep the lines of demo users that already existed
        kept = [
            line
            for line in path.read_text().splitlines()[1:]
            if line.strip() and line.split()[1] not in emails
        ]
    lines = ["Demo staff sign-in (at /login) — demo database only, passwords are random:", *kept]
    lines += [f"  {role:<5}  {email:<20}  password: {pw}" for role, email, pw in created]
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write("\n".join(lines) + "\n")
    os.replace(tmp, path)
