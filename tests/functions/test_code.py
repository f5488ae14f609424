"""Deployment packages: content-addressed, unpacked safely, permissions kept."""

from __future__ import annotations

import io
import os
import stat
import zipfile
from pathlib import Path

import pytest

from statewise.functions.code import CodeStore
from statewise.functions.errors import InvalidParameterValueException

from .conftest import zipped


def test_same_package_is_stored_once(tmp_path: Path) -> None:
    store = CodeStore(tmp_path)
    data = zipped({"app.py": "x = 1\n"})
    first = store.put(data)
    second = store.put(data)
    assert first == second
    assert (store.path(first.digest) / "app.py").read_text() == "x = 1\n"
    assert store.read_zip(first.digest) == data
    # CodeSha256 is the base64 SHA-256 of the zip, as Lambda reports it.
    assert len(first.sha256) == 44 and first.sha256.endswith("=")
    assert first.size == len(data)


def test_permission_bits_are_kept(tmp_path: Path) -> None:
    """A custom runtime's bootstrap must stay executable (runtimes-custom: chmod 755)."""
    store = CodeStore(tmp_path)
    code = store.put(zipped({"bootstrap": "#!/bin/sh\n", "data.txt": "x"}, {"bootstrap": 0o755}))
    assert os.stat(store.path(code.digest) / "bootstrap").st_mode & stat.S_IXUSR
    assert not os.stat(store.path(code.digest) / "data.txt").st_mode & stat.S_IXUSR


def test_not_a_zip(tmp_path: Path) -> None:
    with pytest.raises(InvalidParameterValueException, match="Could not unzip uploaded file"):
        CodeStore(tmp_path).put(b"definitely not a zip")


@pytest.mark.parametrize(
    "member",
    [pytest.param("../escape.py", id="parent"), pytest.param("/etc/escape.py", id="absolute")],
)
def test_members_may_not_leave_the_package(tmp_path: Path, member: str) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(member, "x")
    with pytest.raises(InvalidParameterValueException, match="outside the package"):
        CodeStore(tmp_path / "code").put(buffer.getvalue())
    assert not (tmp_path / "escape.py").exists()
    assert not list((tmp_path / "code").glob("[0-9a-f]*"))


def test_symlinks_are_not_followed(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        info = zipfile.ZipInfo("link")
        info.external_attr = (stat.S_IFLNK | 0o777) << 16
        archive.writestr(info, "/etc/passwd")
    store = CodeStore(tmp_path)
    code = store.put(buffer.getvalue())
    link = store.path(code.digest) / "link"
    assert not link.is_symlink() and link.read_text() == "/etc/passwd"


def test_prune_keeps_only_what_is_referenced(tmp_path: Path) -> None:
    store = CodeStore(tmp_path)
    kept = store.put(zipped({"a.py": "a"}))
    dropped = store.put(zipped({"b.py": "b"}))
    store.prune({kept.digest})
    assert store.path(kept.digest).is_dir() and store.read_zip(kept.digest)
    assert not store.path(dropped.digest).exists() and store.read_zip(dropped.digest) is None
