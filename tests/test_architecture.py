"""Module boundaries: the import-linter contracts in pyproject.toml must all be kept."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_import_linter_contracts_are_kept():
    lint_imports = Path(sys.executable).parent / "lint-imports"
    result = subprocess.run(
        [str(lint_imports), "--no-cache"], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout, result.stdout


def test_entities_are_plain_data_without_behaviour():
    """Spec 1.B.B: an entity is the table's shape; behaviour lives in the domain model.
    No mapped class may define a method or property of its own (dunder methods excepted)."""
    import inspect

    from rental import create_app
    from rental.shared.db import Base

    create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})  # imports every module's entities
    offenders = []
    for mapper in Base.registry.mappers:
        for name, value in vars(mapper.class_).items():
            if name.startswith("__"):
                continue
            behaviour = property | classmethod | staticmethod
            if inspect.isfunction(value) or isinstance(value, behaviour):
                offenders.append(f"{mapper.class_.__module__}.{mapper.class_.__name__}.{name}")
    assert len(list(Base.registry.mappers)) > 30  # the check saw the entities at all
    assert offenders == []


def test_customers_consumes_no_events():
    """Spec (Customer Identity, integration): the module publishes events and consumes none —
    it must stay usable on its own. Every other module's subscriptions are seen (the check
    would notice one added by Customers)."""
    from rental import create_app
    from rental.shared.events import _SUBSCRIPTIONS

    create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    handlers = [s.handler for subs in _SUBSCRIPTIONS.values() for s in subs]
    modules = {h.__module__.split(".")[1] for h in handlers if h.__module__.startswith("rental.")}
    assert {"booking", "crm", "inventory", "payments", "notifications"} <= modules
    assert "customers" not in modules
