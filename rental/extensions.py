"""Flask extensions, created unbound and initialised in create_app()."""

from flask_htmx import HTMX
from flask_migrate import Migrate
from flask_wtf.csrf import CSRFProtect

from rental.shared.db import db

migrate = Migrate(render_as_batch=True, compare_type=True)
csrf = CSRFProtect()
htmx = HTMX()

__all__ = ["csrf", "db", "htmx", "migrate"]
