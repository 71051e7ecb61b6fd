"""A bad setting stops every entry point at start-up with one line naming the variable
(issue 8, item 8): gunicorn, the worker and the flask CLI, as real processes."""

from __future__ import annotations

import subprocess

import pytest

from tests.support.processes import BIN, ROOT, free_port, process_env

pytestmark = pytest.mark.slow

ENTRY_POINTS = {
    "web": [str(BIN / "gunicorn"), "--no-control-socket", "--workers", "1", "wsgi:app"],
    "worker": [str(BIN / "python"), "-m", "rental.worker"],
    "cli": [str(BIN / "flask"), "--app", "wsgi", "outbox", "stats"],
}


@pytest.mark.parametrize("entry_point", sorted(ENTRY_POINTS))
def test_a_bad_setting_stops_start_up_with_a_clear_message(entry_point, tmp_path):
    args = list(ENTRY_POINTS[entry_point])
    if entry_point == "web":
        args[2:2] = ["--bind", f"127.0.0.1:{free_port()}"]
    env = process_env(f"sqlite:///{tmp_path / 'unused.db'}", BOOKING_MAX_DAYS="abc")
    result = subprocess.run(
        args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False
    )
    output = result.stdout + result.stderr
    assert result.returncode == 4, output  # gunicorn's "App failed to load": no respawn loop
    assert (
        "RentKit cannot start: BOOKING_MAX_DAYS must be a whole number of at least 1 "
        "(got 'abc')." in output
    )
    assert "Traceback" not in output, output
