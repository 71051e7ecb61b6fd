"""The vendored front-end files are the pinned versions recorded in the README."""

import hashlib
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_vendored_files_match_the_sha256_in_the_readme():
    readme = (ROOT / "README.md").read_text()
    pins = re.findall(r"\| `(static/vendor/[^`]+)` \| `[^`]+` \| `([0-9a-f]{64})` \|", readme)
    assert len(pins) >= 2
    for path, digest in pins:
        assert hashlib.sha256((ROOT / path).read_bytes()).hexdigest() == digest, path


def test_htmx_is_2_0_x():
    assert list((ROOT / "static/vendor").glob("htmx-2.0.*.min.js"))


def test_swagger_ui_is_5_x_with_its_license_and_source_noted():
    folders = list((ROOT / "static/vendor").glob("swagger-ui-5.*"))
    assert len(folders) == 1
    folder = folders[0]
    version = folder.name.removeprefix("swagger-ui-")
    for name in ("swagger-ui-bundle.js", "swagger-ui.css", "LICENSE", "README.md"):
        assert (folder / name).is_file(), name
    assert f"swagger-ui-dist@{version}" in (folder / "README.md").read_text()
    reference = (ROOT / "rental/api/web/reference.py").read_text()
    assert f'SWAGGER_UI_VERSION = "{version}"' in reference
