"""`flask crm …`: CRM's operations."""

from __future__ import annotations

import click
from flask.cli import AppGroup

crm_cli = AppGroup("crm", help="CRM projections.")


@crm_cli.command("rebuild")
def rebuild() -> None:
    """Recompute every CRM projection from the retained outbox messages (one transaction;
    the communication preferences and their consent log are kept)."""
    from rental.crm.facade import CRMFacade

    result = CRMFacade().rebuild_projections()
    click.echo(
        f"Replayed {result.replayed} message(s) (skipped {result.skipped} undecodable); "
        f"{result.history} history line(s), {result.loyalty} loyalty row(s), "
        f"{result.clv} lifetime value(s)."
    )


@crm_cli.command("expire-tiers")
def expire() -> None:
    """Drop each tier whose expiry has passed one level (the worker does it every hour)."""
    from rental.crm.facade import CRMFacade

    click.echo(f"Expired {CRMFacade().expire_tiers()} tier(s).")
