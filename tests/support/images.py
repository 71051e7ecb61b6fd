"""Image files for upload tests, made with Pillow in memory."""

from __future__ import annotations

import io

from PIL import Image


def image_bytes(
    width: int = 800,
    height: int = 600,
    format_name: str = "PNG",
    colour: tuple[int, int, int] = (30, 120, 200),
    **save: object,
) -> bytes:
    picture = Image.new("RGB", (width, height), colour)
    for x in range(0, width, 40):  # some detail, so encoders have work to do
        for y in range(0, height, 40):
            picture.putpixel((x, y), (255, 255, 255))
    out = io.BytesIO()
    picture.save(out, format_name, **save)
    return out.getvalue()


def jpeg_with_gps() -> bytes:
    picture = Image.new("RGB", (640, 480), (200, 80, 40))
    exif = Image.Exif()
    exif[0x010F] = "SpyCam"  # Make
    exif[0x0112] = 6  # Orientation: rotate 90° clockwise to view
    gps = {1: "N", 2: (52.0, 31.0, 12.0), 3: "E", 4: (13.0, 24.0, 36.0)}
    exif[0x8825] = gps  # GPSInfo
    out = io.BytesIO()
    picture.save(out, "JPEG", exif=exif.tobytes(), comment=b"secret comment")
    return out.getvalue()


def bomb_png(width: int = 20_000, height: int = 20_000) -> bytes:
    """A small file that claims a huge canvas (a decompression bomb): a 1-bit image of one
    colour compresses to almost nothing."""
    picture = Image.new("1", (width, height), 0)
    out = io.BytesIO()
    picture.save(out, "PNG", optimize=True)
    return out.getvalue()


SVG_WITH_SCRIPT = (
    b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
    b"<script>alert(document.cookie)</script><rect width='10' height='10'/></svg>"
)
