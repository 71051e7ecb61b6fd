"""Images staff upload (for equipment types and kits): what a stored image is and how its
variants are named. Pure Python; the Pillow part is `processing`, the files are `store`, the
route that serves them is `web`.

An image is stored under a content-derived key (the SHA-256 of what was uploaded and of how it
was processed), once per variant: WebP at 200, 600 and 1200 px on the longer side (never
enlarged) and a 1200 px JPEG for link previews (`og:image`), whose readers do not all take
WebP. The original upload — its bytes, its metadata and its file name — is never kept."""

from __future__ import annotations

import re
from dataclasses import dataclass

# Bump when the encoding changes: the key changes with it, so no cached URL ever names
# different bytes (the files are served as immutable).
PROCESSING_VERSION = "1"

WIDTHS = (200, 600, 1200)  # the longer side of each WebP variant, in pixels
PREVIEW_WIDTH = 1200  # the JPEG for link previews
KEY_LENGTH = 32  # hex digits of the SHA-256 kept in the name

MEDIA_TYPES = {"webp": "image/webp", "jpg": "image/jpeg"}
# Every name the store can hold: nothing else is ever opened, so no name leaves the folder.
FILE_NAME = re.compile(r"^([0-9a-f]{32})-(200|600|1200)\.(webp|jpg)$")


@dataclass(frozen=True, slots=True)
class StoredImage:
    """An uploaded image as the owner's row keeps it: the key of its files and the size of
    its largest variant (pages give width and height, so nothing jumps while it loads)."""

    key: str
    width: int
    height: int

    def __post_init__(self) -> None:
        if not re.fullmatch(r"[0-9a-f]{32}", self.key):
            raise ValueError(f"not an image key: {self.key!r}")

    def size_at(self, longest: int) -> tuple[int, int]:
        """Width and height of the variant whose longer side is at most `longest`."""
        return fit(self.width, self.height, longest)

    def file_name(self, width: int, extension: str = "webp") -> str:
        return variant_name(self.key, width, extension)

    def file_names(self) -> list[str]:
        return [variant_name(self.key, w) for w in WIDTHS] + [
            variant_name(self.key, PREVIEW_WIDTH, "jpg")
        ]


def variant_name(key: str, width: int, extension: str = "webp") -> str:
    if width not in WIDTHS or extension not in MEDIA_TYPES:
        raise ValueError(f"no such variant: {width} {extension}")
    return f"{key}-{width}.{extension}"


def fit(width: int, height: int, longest: int) -> tuple[int, int]:
    """(width, height) scaled down so the longer side is at most `longest` (never enlarged),
    the way Pillow's thumbnail() rounds."""
    scale = longest / max(width, height)
    if scale >= 1:
        return width, height
    return max(1, round(width * scale)), max(1, round(height * scale))


def all_file_names(key: str) -> list[str]:
    return StoredImage(key, 1, 1).file_names()
