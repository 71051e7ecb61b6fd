"""`flask --app wsgi accounts create-admin`, `accounts reset-password` and `accounts unlock`."""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

from rental.accounts.application.commands import CreateStaffUser
from rental.accounts.facade import AccountsFacade
from rental.shared.email import normalise_email
from rental.shared.errors import DomainError

accounts_cli = AppGroup("accounts", help="Staff accounts.")


def _password(password_file: str | None) -> str:
    if password_file == "-":
        return sys.stdin.readline().rstrip("\r\n")
    if password_file:
        with open(password_file, encoding="utf-8") as handle:
            return handle.readline().rstrip("\r\n")
    return click.prompt("Password", hide_input=True, confirmation_prompt=True)


@accounts_cli.command("create-admin")
@click.option("--email", help="The admin's email (prompted when missing).")
@click.option(
    "--password-file",
    type=click.Path(dir_okay=False, allow_dash=True),
    help="Read the password from the first line of this file ('-' for stdin).",
)
def create_admin(email: str | None, password_file: str | None) -> None:
    """Create a staff user with the ADMIN role."""
    email = email or click.prompt("Email")
    password = _password(password_file)
    try:
        AccountsFacade().create_user(CreateStaffUser(email=email, password=password, role="ADMIN"))
    except DomainError as exc:
        raise click.ClickException(exc.message) from None
    click.echo(f"Admin {normalise_email(email)} created. Sign in at /login.")


@accounts_cli.command("reset-password")
@click.option("--email", required=True, help="The staff user's email.")
@click.option(
    "--password-file",
    type=click.Path(dir_okay=False, allow_dash=True),
    help="Read the new password from the first line of this file ('-' for stdin).",
)
def reset_password(email: str, password_file: str | None) -> None:
    """Set a new password for a staff user (signs them out everywhere)."""
    password = _password(password_file)
    try:
        AccountsFacade().reset_password(email, password)
    except DomainError as exc:
        raise click.ClickException(exc.message) from None
    click.echo(f"Password of {normalise_email(email)} changed.")


@accounts_cli.command("demo-users")
def demo_users() -> None:
    """For the demo database only (`make run`): when no staff user exists yet, create the demo
    admin and staff accounts with random passwords and write them to instance/demo-admin.txt."""
    from rental.accounts.demo import credentials_file, seed_staff

    if AccountsFacade().has_users():
        return
    seed_staff()
    click.echo(f"Demo staff accounts created; credentials in {credentials_file()}.")


@accounts_cli.command("unlock")
@click.option("--email", required=True, help="The staff user's email.")
def unlock(email: str) -> None:
    """Forget the failed sign-ins of an account (when no admin can sign in to do it)."""
    AccountsFacade().unlock_sign_in(email)
    click.echo(f"Failed sign-ins of {normalise_email(email)} forgotten; sign in at /login.")
