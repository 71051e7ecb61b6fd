"""Where damage photos' files live: a private image store beside the public one —
`DAMAGE_PHOTOS_DIR`, by default `UPLOADS_DIR` + "-damage" (never under `/media`: staff see
them through /admin/payments/damage-photos/<name> only)."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from pathlib import Path

from flask import Flask, current_app

from rental.shared.images.processing import ProcessedImage
from rental.shared.images.store import FileSystemImageStore, ImageStorageError, ImageStore

STORE = "payments.damage_photos"
log = logging.getLogger(__name__)


def init_damage_photos(app: Flask) -> None:
    folder = app.config.get("DAMAGE_PHOTOS_DIR") or f"{app.config['UPLOADS_DIR']}-damage"
    app.extensions[STORE] = FileSystemImageStore(Path(folder))


def damage_photo_store() -> ImageStore:
    return current_app.extensions[STORE]


@contextlib.contextmanager
def damage_photo_files(image: ProcessedImage | None) -> Iterator[None]:
    """The photo's files are written before the row that names them, and removed again when
    the transaction fails (a file that was there already is left alone)."""
    if image is None:
        yield
        return
    try:
        created = damage_photo_store().put(image.files)
    except OSError:
        log.exception("Could not store the files of damage photo %s", image.image.key)
        raise ImageStorageError(field="photo") from None
    try:
        yield
    except BaseException:
        damage_photo_store().delete(created)
        raise
