"""Where image files live: a small port (`ImageStore`) and the file-system adapter.

Names are content-derived (`rental.shared.images.FILE_NAME`), so writing a file that is
already there changes nothing, and a name that does not match the pattern is refused before
any path is built. Each file is written to a temporary file in the same folder and renamed
into place: a reader sees the whole file or none."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Protocol

from rental.shared.errors import DomainError
from rental.shared.images import FILE_NAME


class ImageStorageError(DomainError):
    """The files could not be written (disk full, permissions): the server's fault, so 503;
    nothing was saved."""

    status_code = 503

    def __init__(self, field: str = "image") -> None:
        super().__init__(
            "The photo could not be saved on the server, so nothing was changed. Try again in "
            "a moment; if it keeps failing, tell the administrator.",
            field=field,
        )


class ImageStore(Protocol):
    def put(self, files: Mapping[str, bytes]) -> list[str]:
        """Store the files; return the names that were not there before. On any failure the
        files it created are gone again and the error is raised."""

    def delete(self, names: Iterable[str]) -> None:
        """Remove the files (missing ones are fine)."""

    def path(self, name: str) -> Path | None:
        """The file to serve, or None when there is no such file."""


def _checked(name: str) -> str:
    if not FILE_NAME.fullmatch(name):
        raise ValueError(f"not an image file name: {name!r}")
    return name


class FileSystemImageStore:
    def __init__(self, folder: str | os.PathLike[str]) -> None:
        self.folder = Path(folder)

    def put(self, files: Mapping[str, bytes]) -> list[str]:
        created: list[str] = []
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            for name, data in files.items():
                target = self.folder / _checked(name)
                if target.exists():
                    continue
                self._write(target, data)
                created.append(name)
        except BaseException:
            self.delete(created)
            raise
        return created

    def _write(self, target: Path, data: bytes) -> None:
        fd, temporary = tempfile.mkstemp(dir=self.folder, prefix=".upload-", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.chmod(temporary, 0o644)
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    def delete(self, names: Iterable[str]) -> None:
        for name in names:
            (self.folder / _checked(name)).unlink(missing_ok=True)

    def path(self, name: str) -> Path | None:
        if not FILE_NAME.fullmatch(name):
            return None
        candidate = self.folder / name
        return candidate if candidate.is_file() else None
