import sys

from rental import create_app
from rental.config import CONFIG_ERROR_EXIT, ConfigError

try:
    app = create_app()
except ConfigError as error:
    # One clear line naming the variable, not a traceback (gunicorn then stops, see the code).
    print(f"RentKit cannot start: {error}", file=sys.stderr)
    raise SystemExit(CONFIG_ERROR_EXIT) from None
