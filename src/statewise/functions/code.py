"""Deployment packages: zips kept by content and unpacked once into their own directory."""

from __future__ import annotations

import base64
import hashlib
import io
import os
import shutil
import stat
import tempfile
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from statewise.functions.errors import InvalidParameterValueException

# Lambda's quotas: 50 MB zipped (direct upload), 250 MB unzipped.
MAX_ZIPPED_BYTES = 50 * 1024 * 1024
MAX_UNZIPPED_BYTES = 262_144_000


@dataclass(frozen=True, slots=True)
class StoredCode:
    """A deployment package in the store.

    Attributes:
        digest: hex SHA-256 of the zip; names its directory.
        sha256: the same digest in base64, as AWS reports ``CodeSha256``.
        size: bytes of the zip.
    """

    digest: str
    sha256: str
    size: int


class CodeStore:
    """Zips under ``<root>/<digest>.zip``, unpacked under ``<root>/<digest>/``.

    The same package deployed twice (or by two functions) is stored once; a directory is
    complete before it is visible, because it is unpacked elsewhere and renamed in place.
    """

    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, digest: str) -> Path:
        """The unpacked code directory (the function's ``LAMBDA_TASK_ROOT``)."""
        return self.root / digest

    def zip_path(self, digest: str) -> Path:
        return self.root / f"{digest}.zip"

    def put(self, data: bytes) -> StoredCode:
        """Check and store a zip.

        Raises:
            InvalidParameterValueException: not a zip, an unsafe member path, or too large
                once unzipped.
        """
        raw = hashlib.sha256(data)
        code = StoredCode(raw.hexdigest(), base64.b64encode(raw.digest()).decode(), len(data))
        target = self.path(code.digest)
        if target.is_dir():
            return code
        self.root.mkdir(parents=True, exist_ok=True)
        try:
            archive = zipfile.ZipFile(io.BytesIO(data))
        except (zipfile.BadZipFile, ValueError):
            raise InvalidParameterValueException(
                "Could not unzip uploaded file. Please check your file, then try to upload again."
            ) from None
        with archive:
            members = archive.infolist()
            if sum(m.file_size for m in members) >= MAX_UNZIPPED_BYTES:
                raise InvalidParameterValueException(
                    f"Unzipped size must be smaller than {MAX_UNZIPPED_BYTES} bytes"
                )
            staging = Path(tempfile.mkdtemp(prefix=".unpack-", dir=self.root))
            try:
                for member in members:
                    _extract(archive, member, staging)
                os.replace(staging, target)
            except BaseException:
                shutil.rmtree(staging, ignore_errors=True)
                if target.is_dir():  # another request stored the same package meanwhile
                    return code
                raise
        zip_file = self.zip_path(code.digest)
        temporary = zip_file.with_suffix(".tmp")
        temporary.write_bytes(data)
        os.replace(temporary, zip_file)
        return code

    def read_zip(self, digest: str) -> bytes | None:
        """The original package, for GetFunction's download location."""
        try:
            return self.zip_path(digest).read_bytes()
        except FileNotFoundError:
            return None

    def prune(self, keep: Iterable[str]) -> None:
        """Delete every package not in ``keep`` (after a function or version is deleted)."""
        wanted = set(keep)
        if not self.root.is_dir():
            return
        for entry in self.root.iterdir():
            digest = entry.name.removesuffix(".zip")
            if entry.name.startswith(".") or digest in wanted:
                continue
            if entry.is_dir():
                shutil.rmtree(entry, ignore_errors=True)
            else:
                entry.unlink(missing_ok=True)


def _extract(archive: zipfile.ZipFile, member: zipfile.ZipInfo, root: Path) -> None:
    """Unpack one member under ``root``, refusing paths that leave it (zip slip)."""
    name = member.filename.replace("\\", "/")
    parts = PurePosixPath(name).parts
    if name.startswith("/") or ".." in parts:
        raise InvalidParameterValueException(
            f"Could not unzip uploaded file: the entry '{member.filename}' points outside "
            "the package."
        )
    destination = root.joinpath(*parts) if parts else root
    mode = (member.external_attr >> 16) & 0xFFFF
    if member.is_dir():
        destination.mkdir(parents=True, exist_ok=True)
        return
    destination.parent.mkdir(parents=True, exist_ok=True)
    if stat.S_ISLNK(mode):
        # A link could point anywhere on this machine; store its target as a plain file
        # instead of following it.
        destination.write_bytes(archive.read(member))
        return
    with archive.open(member) as source, open(destination, "wb") as sink:
        shutil.copyfileobj(source, sink, 1024 * 1024)
    # Keep the permission bits the zip carries: a bootstrap must stay executable, exactly
    # as Lambda requires (a zip made without them gets Runtime.InvalidEntrypoint there too).
    permissions = stat.S_IMODE(mode) if mode else 0o644
    os.chmod(destination, (permissions | stat.S_IRUSR) & 0o777)
