"""Uploaded CSV files kept between the preview and the apply: one file per upload under
`<instance>/imports/`, named by a random token (and the kind of import), removed once
applied, and forgotten after TTL (swept at the next upload)."""

from __future__ import annotations

import os
import re
import secrets
import time
from pathlib import Path
from typing import BinaryIO

TTL_SECONDS = 3600
_TOKEN = re.compile(r"[0-9a-f]{32}")
_CHUNK = 64 * 1024


class TooLarge(Exception):
    pass


class UploadStore:
    def __init__(self, directory: str | os.PathLike[str], ttl: int = TTL_SECONDS) -> None:
        self._dir = Path(directory)
        self._ttl = ttl

    def _path(self, token: str, kind: str) -> Path | None:
        if not _TOKEN.fullmatch(token) or not re.fullmatch(r"[a-z]{1,20}", kind):
            return None
        return self._dir / f"{token}-{kind}.csv"

    def save(self, stream: BinaryIO, kind: str, max_bytes: int) -> str:
        """Copies the stream a chunk at a time; TooLarge (nothing kept) past `max_bytes`."""
        self.sweep()
        self._dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        token = secrets.token_hex(16)
        path = self._path(token, kind)
        assert path is not None
        size = 0
        try:
            with open(path, "xb") as out:
                os.chmod(path, 0o600)
                while chunk := stream.read(_CHUNK):
                    size += len(chunk)
                    if size > max_bytes:
                        raise TooLarge()
                    out.write(chunk)
        except BaseException:
            path.unlink(missing_ok=True)
            raise
        return token

    def read(self, token: str, kind: str) -> bytes | None:
        """The upload's bytes; None when unknown, already applied or expired."""
        path = self._path(token, kind)
        if path is None:
            return None
        try:
            if time.time() - path.stat().st_mtime > self._ttl:
                path.unlink(missing_ok=True)
                return None
            return path.read_bytes()
        except FileNotFoundError:
            return None

    def discard(self, token: str, kind: str) -> None:
        path = self._path(token, kind)
        if path is not None:
            path.unlink(missing_ok=True)

    def sweep(self) -> None:
        if not self._dir.is_dir():
            return
        cutoff = time.time() - self._ttl
        for path in self._dir.glob("*.csv"):
            try:
                if path.stat().st_mtime < cutoff:
                    path.unlink(missing_ok=True)
            except FileNotFoundError:
                pass
