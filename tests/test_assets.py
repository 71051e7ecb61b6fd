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


# --- the build: hashed, compressed copies (rental/shared/assets.py) ---------------------------

ASSET_CALL = re.compile(r"asset_url\(\s*'([^']+)'\s*\)")


def test_the_hashed_name_of_a_vendored_file_starts_with_its_pinned_sha256():
    from rental.shared.assets import hashed_name

    readme = (ROOT / "README.md").read_text()
    pins = re.findall(r"\| `static/vendor/([^`]+)` \| `[^`]+` \| `([0-9a-f]{64})` \|", readme)
    for path, digest in pins:
        data = (ROOT / "static/vendor" / path).read_bytes()
        stem, suffix = path.rsplit(".", 1)
        assert hashed_name(path, data) == f"{stem}.{digest[:12]}.{suffix}"


def test_a_build_writes_hashed_and_plain_copies_with_gzip_and_brotli(tmp_path):
    import gzip

    import brotli

    from rental.shared.assets import build_assets

    source, target = tmp_path / "static", tmp_path / "build"
    (source / "css").mkdir(parents=True)
    css = "/* why */\nbody {\n  color: red;\n}\n" * 40
    (source / "css/site.css").write_text(css)
    (source / "photo.png").write_bytes(b"\x89PNG" + bytes(2000))

    manifest = build_assets(source, target)

    hashed = manifest["css/site.css"]
    assert re.fullmatch(r"css/site\.[0-9a-f]{12}\.css", hashed)
    built = (target / hashed).read_bytes()
    assert b"/*" not in built and b"body{color:red}" in built  # minified
    assert (target / "css/site.css").read_text() == css  # the plain name: the source as is
    assert gzip.decompress((target / f"{hashed}.gz").read_bytes()) == built
    assert brotli.decompress((target / f"{hashed}.br").read_bytes()) == built
    assert brotli.decompress((target / "css/site.css.br").read_bytes()).decode() == css
    assert not (target / "photo.png.gz").exists()  # already compressed formats are left alone
    assert (target / manifest["photo.png"]).is_file()


def test_a_second_build_writes_nothing_and_a_changed_file_gets_a_new_name(tmp_path):
    from rental.shared.assets import build_assets

    source, target = tmp_path / "static", tmp_path / "build"
    source.mkdir()
    (source / "app.js").write_text("// one\nvar a = 1;\n" * 50)
    first = build_assets(source, target)
    written = {p: p.stat().st_mtime_ns for p in target.rglob("*") if p.name != "manifest.json"}

    assert build_assets(source, target) == first
    assert {p: p.stat().st_mtime_ns for p in written} == written

    (source / "app.js").write_text("// two\nvar b = 2;\n" * 50)
    second = build_assets(source, target)
    assert second["app.js"] != first["app.js"]
    assert (target / first["app.js"]).is_file()  # pages still open in a browser keep working
    assert "var b" in (target / "app.js").read_text()


def test_templates_name_static_files_only_through_asset_url_and_every_name_exists():
    templates = list((ROOT / "templates").rglob("*.html"))
    names = set()
    for template in templates:
        text = template.read_text()
        assert "url_for('static'" not in text and 'url_for("static"' not in text, template
        assert 'src="/static/' not in text and 'href="/static/' not in text, template
        names.update(ASSET_CALL.findall(text))
    assert {"css/app.css", "js/app.js", "vendor/htmx-2.0.11.min.js"} <= names
    for name in names:
        assert (ROOT / "static" / name).is_file(), name


def test_no_script_blocks_rendering():
    # Every external script is deferred (htmx and app.js in the layout, Swagger UI's page).
    tags = []
    for template in (ROOT / "templates").rglob("*.html"):
        tags += re.findall(r"<script\b[^>]*\bsrc=[^>]*>", template.read_text())
    assert len(tags) >= 4
    for tag in tags:
        assert re.search(r"\sdefer[\s>]", tag), tag
