"""Turning an upload into the variants we serve (Pillow). Everything a person can send is
refused here with a `ValidationError` for the form's field, before anything is written:

- not JPEG, PNG or WebP by its content (the name and the browser's content type are not
  trusted), SVG and other XML above all — an SVG can carry script;
- more bytes than the limit; more pixels than the limit (checked from the header, before
  anything is decoded — a decompression bomb is a small file that claims a huge canvas);
- a file that does not decode completely (truncated, corrupt);
- a file name with a path in it (`../../etc/passwd`): it is never used, but no browser sends
  one, so it is refused rather than guessed at.

What passes is decoded (JPEGs at a reduced scale when that is enough), turned upright by its
EXIF orientation, and re-encoded from the pixels alone: no EXIF (GPS), no ICC or XMP, no
comments survive."""

from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass

from PIL import Image, ImageFile, ImageOps, UnidentifiedImageError

from rental.shared.errors import ValidationError
from rental.shared.images import (
    KEY_LENGTH,
    PREVIEW_WIDTH,
    PROCESSING_VERSION,
    WIDTHS,
    StoredImage,
    fit,
    variant_name,
)

FORMATS = ("JPEG", "PNG", "WEBP")
DEFAULT_MAX_BYTES = 10 * 1024 * 1024
DEFAULT_MAX_PIXELS = 50_000_000  # a 50-megapixel camera; decoded RGB ≈ 150 MB at most
MIN_SIDE = 16

# Pillow's own bomb guard, for any code path that opens an image: a warning above this many
# pixels (turned into an error below), an error above twice as many.
Image.MAX_IMAGE_PIXELS = DEFAULT_MAX_PIXELS
ImageFile.LOAD_TRUNCATED_IMAGES = False

_WRONG_TYPE = "Upload a JPEG, PNG or WebP photo (this file is not one of those)."


@dataclass(frozen=True, slots=True)
class ImageLimits:
    max_bytes: int = DEFAULT_MAX_BYTES
    max_pixels: int = DEFAULT_MAX_PIXELS

    @property
    def max_megabytes(self) -> str:
        return f"{self.max_bytes / (1024 * 1024):g} MB"


@dataclass(frozen=True, slots=True)
class ProcessedImage:
    """What to store: the image's record and the bytes of each file, by name."""

    image: StoredImage
    files: dict[str, bytes]


def check_file_name(name: str | None, field: str = "image") -> None:
    raw = name or ""
    if "/" in raw or "\\" in raw or ".." in raw or any(ord(c) < 32 for c in raw):
        raise ValidationError(
            "That file name contains a folder path. Choose the photo again from your device.",
            field=field,
        )


def _looks_like_markup(data: bytes) -> bool:
    head = data[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return head.startswith(b"<") or b"<svg" in data[:4096].lower()


def process_upload(
    data: bytes,
    file_name: str | None = None,
    limits: ImageLimits | None = None,
    field: str = "image",
) -> ProcessedImage:
    limits = limits or ImageLimits()
    check_file_name(file_name, field)
    if not data:
        raise ValidationError("The file is empty. Choose a photo.", field=field)
    if len(data) > limits.max_bytes:
        raise ValidationError(
            f"The photo is larger than {limits.max_megabytes}. Choose a smaller one "
            "(or save it at a lower quality).",
            field=field,
        )
    if _looks_like_markup(data):
        raise ValidationError(
            "SVG and other drawings made of text are not accepted (they can carry scripts). "
            "Upload a JPEG, PNG or WebP photo.",
            field=field,
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            picture = _decode(data, limits, field)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ValidationError(_too_many_pixels(limits), field=field) from None
    key = hashlib.sha256(PROCESSING_VERSION.encode() + b"\0" + data).hexdigest()[:KEY_LENGTH]
    return _variants(picture, key)


def _too_many_pixels(limits: ImageLimits) -> str:
    megapixels = limits.max_pixels / 1_000_000
    return f"The photo has more than {megapixels:g} megapixels. Scale it down and upload it again."


def _decode(data: bytes, limits: ImageLimits, field: str) -> Image.Image:
    # WeasyPrint (invoice PDFs) switches Pillow to accepting cut-off files for the whole
    # process when it is imported; an upload must still be refused when it is cut off.
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    try:
        with Image.open(io.BytesIO(data), formats=FORMATS) as probe:
            width, height = probe.size  # from the header: nothing decoded yet
            if width * height > limits.max_pixels:
                raise ValidationError(_too_many_pixels(limits), field=field)
            probe.verify()  # structure and checksums (PNG), still without decoding
        with Image.open(io.BytesIO(data), formats=FORMATS) as source:
            if source.format == "JPEG":
                source.draft("RGB", (max(WIDTHS) * 2, max(WIDTHS) * 2))  # decode at 1/2…1/8
            source.load()  # a truncated or corrupt file fails here
            upright = ImageOps.exif_transpose(source)
            mode = "RGBA" if _has_alpha(upright) else "RGB"
            picture = upright.convert(mode)
    except (ValidationError, Image.DecompressionBombError):
        raise
    except UnidentifiedImageError:  # not JPEG, PNG or WebP by its content
        raise ValidationError(_WRONG_TYPE, field=field) from None
    except (OSError, SyntaxError, ValueError, EOFError):
        raise ValidationError(
            "The photo could not be read completely (the file may be cut off or damaged). "
            "Save it again and upload the new copy.",
            field=field,
        ) from None
    if min(picture.size) < MIN_SIDE:
        raise ValidationError(
            f"The photo is too small; give one at least {MIN_SIDE} pixels on each side.",
            field=field,
        )
    return picture


def _has_alpha(picture: Image.Image) -> bool:
    return picture.mode in ("RGBA", "LA", "PA") or (
        picture.mode == "P" and "transparency" in picture.info
    )


def _variants(picture: Image.Image, key: str) -> ProcessedImage:
    largest = fit(*picture.size, max(WIDTHS))
    files: dict[str, bytes] = {}
    for width in WIDTHS:
        files[variant_name(key, width)] = _encode(_resized(picture, width), "WEBP")
    preview = _resized(picture, PREVIEW_WIDTH)
    if preview.mode == "RGBA":  # JPEG has no transparency: on white
        background = Image.new("RGB", preview.size, (255, 255, 255))
        background.paste(preview, mask=preview.getchannel("A"))
        preview = background
    files[variant_name(key, PREVIEW_WIDTH, "jpg")] = _encode(preview, "JPEG")
    return ProcessedImage(StoredImage(key, *largest), files)


def _resized(picture: Image.Image, longest: int) -> Image.Image:
    size = fit(*picture.size, longest)
    resized = picture.resize(size, Image.Resampling.LANCZOS) if size != picture.size else picture
    clean = resized.copy()
    clean.info = {}  # nothing of the upload's metadata goes out
    return clean


def _encode(picture: Image.Image, format_name: str) -> bytes:
    out = io.BytesIO()
    if format_name == "WEBP":
        picture.save(out, "WEBP", quality=82, method=4)
    else:
        picture.save(out, "JPEG", quality=85, optimize=True, progressive=True)
    return out.getvalue()
