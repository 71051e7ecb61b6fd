"""Uploaded images (rental.shared.images): each kind of bad input is refused with a message for
the field before anything is stored; what passes is re-encoded without its metadata."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from rental.shared.errors import ValidationError
from rental.shared.images import FILE_NAME, StoredImage, fit
from rental.shared.images.processing import ImageLimits, process_upload
from rental.shared.images.store import FileSystemImageStore
from tests.support.images import SVG_WITH_SCRIPT, bomb_png, image_bytes, jpeg_with_gps


def refused(data: bytes, name: str = "photo.png", limits: ImageLimits | None = None) -> str:
    with pytest.raises(ValidationError) as caught:
        process_upload(data, name, limits)
    assert caught.value.field == "image"
    return caught.value.message


@pytest.mark.parametrize("format_name", ["PNG", "JPEG", "WEBP"])
def test_jpeg_png_and_webp_become_webp_variants_and_a_jpeg_preview(format_name):
    result = process_upload(image_bytes(1600, 1200, format_name), "photo.bin")
    assert result.image.width == 1200 and result.image.height == 900
    assert sorted(result.files) == sorted(result.image.file_names())
    for name, data in result.files.items():
        assert FILE_NAME.fullmatch(name)
        with Image.open(io.BytesIO(data)) as out:
            assert out.format == ("JPEG" if name.endswith(".jpg") else "WEBP")
            width = int(name.split("-")[1].split(".")[0])
            assert out.size == fit(1600, 1200, width)


def test_a_small_image_is_never_enlarged_and_the_key_follows_the_content():
    one = process_upload(image_bytes(300, 200), "a.png")
    assert (one.image.width, one.image.height) == (300, 200)
    assert one.image.size_at(200) == (200, 133)
    assert process_upload(image_bytes(300, 200), "other-name.png").image.key == one.image.key
    assert process_upload(image_bytes(301, 200), "a.png").image.key != one.image.key


def test_metadata_is_stripped_and_the_photo_is_turned_upright():
    result = process_upload(jpeg_with_gps(), "IMG_0001.JPG")
    # Orientation 6 (the camera was turned): 640×480 as stored is 480×640 upright.
    assert (result.image.width, result.image.height) == (480, 640)
    for data in result.files.values():
        with Image.open(io.BytesIO(data)) as out:
            assert not out.getexif()
            assert "exif" not in out.info and "comment" not in out.info
            assert b"SpyCam" not in data and b"secret comment" not in data


def test_a_png_with_transparency_keeps_it_in_webp_and_goes_on_white_in_the_preview():
    picture = Image.new("RGBA", (100, 100), (0, 0, 0, 0))
    out = io.BytesIO()
    picture.save(out, "PNG")
    result = process_upload(out.getvalue(), "logo.png")
    preview = next(d for n, d in result.files.items() if n.endswith(".jpg"))
    with Image.open(io.BytesIO(preview)) as jpeg:
        assert jpeg.getpixel((50, 50)) == (255, 255, 255)


def test_wrong_type_is_refused_whatever_the_name_says():
    assert "JPEG, PNG or WebP" in refused(b"GIF89a" + b"\0" * 100, "photo.jpg")
    assert "JPEG, PNG or WebP" in refused(b"%PDF-1.7\n" + b"x" * 200, "photo.png")
    gif = io.BytesIO()
    Image.new("RGB", (50, 50)).save(gif, "GIF")
    assert "JPEG, PNG or WebP" in refused(gif.getvalue(), "photo.png")
    assert "empty" in refused(b"", "photo.png")


def test_oversized_bytes_are_refused():
    data = image_bytes(400, 300)
    message = refused(data, limits=ImageLimits(max_bytes=len(data) - 1))
    assert "larger than" in message


def test_too_many_pixels_are_refused_from_the_header_before_decoding():
    data = image_bytes(1000, 1000)
    assert "megapixels" in refused(data, limits=ImageLimits(max_pixels=999_999))


def test_a_decompression_bomb_is_refused():
    data = bomb_png()  # 400 megapixels in a few kilobytes
    assert len(data) < 200_000
    assert "megapixels" in refused(data)


def test_a_truncated_file_is_refused():
    for format_name in ("PNG", "JPEG", "WEBP"):
        data = image_bytes(800, 600, format_name)
        assert "could not be read completely" in refused(data[: len(data) // 2])


def test_a_truncated_file_is_refused_after_weasyprint_was_loaded():
    """Rendering an invoice PDF loads WeasyPrint, which lets Pillow accept cut-off files for
    the whole process: uploads must be refused all the same."""
    import weasyprint  # noqa: F401 - imported for what it does to Pillow

    for format_name in ("PNG", "JPEG"):
        data = image_bytes(800, 600, format_name)
        assert "could not be read completely" in refused(data[: len(data) // 2])


def test_svg_with_script_is_refused():
    assert "SVG" in refused(SVG_WITH_SCRIPT, "drawing.svg")
    assert "SVG" in refused(b"\xef\xbb\xbf  " + SVG_WITH_SCRIPT, "photo.png")


@pytest.mark.parametrize(
    "name", ["../../etc/passwd", "..\\..\\windows\\win.ini", "/etc/passwd", "a/b.png"]
)
def test_a_valid_png_named_with_a_path_is_refused(name):
    assert "folder path" in refused(image_bytes(100, 100), name)


def test_the_store_writes_whole_files_under_checked_names_only(tmp_path):
    store = FileSystemImageStore(tmp_path / "uploads")
    result = process_upload(image_bytes(100, 100), "a.png")
    created = store.put(result.files)
    assert sorted(created) == sorted(result.files)
    assert store.put(result.files) == []  # already there: nothing new
    assert sorted(p.name for p in (tmp_path / "uploads").iterdir()) == sorted(result.files)
    assert store.path("../../etc/passwd") is None
    assert store.path(result.image.file_name(200)) is not None
    with pytest.raises(ValueError):
        store.put({"../evil.webp": b"x"})
    store.delete(created)
    assert list((tmp_path / "uploads").iterdir()) == []


def test_a_failed_write_leaves_no_file_behind(tmp_path, monkeypatch):
    store = FileSystemImageStore(tmp_path)
    result = process_upload(image_bytes(100, 100), "a.png")
    calls = []

    def failing_write(target, data):
        calls.append(target)
        if len(calls) == 3:
            raise OSError("disk full")
        original(target, data)

    original = store._write
    monkeypatch.setattr(store, "_write", failing_write)
    with pytest.raises(OSError):
        store.put(result.files)
    assert list(tmp_path.iterdir()) == []


def test_stored_image_keys_are_checked():
    with pytest.raises(ValueError):
        StoredImage("../x", 1, 1)
