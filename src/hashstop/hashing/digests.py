"""MD5 and SHA-256 of a file's bytes, read once, in chunks; and opening files safely to read.

Videos and any other file are matched by exact digests. A phone video can be 4 GB, so the file
is never held in memory: one pass feeds each chunk to both digests. Nothing here decodes or
interprets the bytes, and only regular files are read (a pipe or device in a folder would block
or never end).
"""

from __future__ import annotations

import hashlib
import os
import stat
from typing import BinaryIO

from hashstop.hashing.errors import EmptyFileError, FileAccessError
from hashstop.hashing.types import Md5Hash, Sha256Hash

CHUNK_SIZE = 1 << 20
"""Bytes read at a time: large enough for disk throughput, small enough for any laptop."""

_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)


def describe_os_error(path: str | os.PathLike[str], error: OSError) -> str:
    """One line saying why `path` cannot be read."""
    if isinstance(error, IsADirectoryError) or os.path.isdir(path):
        return f"is a directory, not a file: {os.fspath(path)}"
    if isinstance(error, FileNotFoundError):
        return f"no such file: {os.fspath(path)}"
    if isinstance(error, PermissionError):
        return f"permission denied: {os.fspath(path)}"
    return f"cannot read {os.fspath(path)}: {error.strerror or error}"


def open_regular_file(path: str | os.PathLike[str]) -> BinaryIO:
    """Open `path` for reading if it is a regular file with bytes; else raise a HashingError.

    Opened without blocking, so a named pipe is refused instead of waiting for a writer.
    """
    try:
        descriptor = os.open(path, _OPEN_FLAGS)
    except OSError as error:
        raise FileAccessError(describe_os_error(path, error)) from error
    info = os.fstat(descriptor)
    problem: FileAccessError | EmptyFileError | None = None
    if stat.S_ISDIR(info.st_mode):
        problem = FileAccessError(f"is a directory, not a file: {os.fspath(path)}")
    elif not stat.S_ISREG(info.st_mode):
        problem = FileAccessError(
            f"not a regular file (a device, pipe or socket): {os.fspath(path)}"
        )
    elif info.st_size == 0:
        problem = EmptyFileError(f"the file is empty, nothing to hash: {os.fspath(path)}")
    if problem is not None:
        os.close(descriptor)
        raise problem
    return os.fdopen(descriptor, "rb")


def file_digests(path: str | os.PathLike[str]) -> tuple[Md5Hash, Sha256Hash]:
    """MD5 and SHA-256 of the file at `path`, streamed; raise FileAccessError or EmptyFileError."""
    md5 = hashlib.md5(usedforsecurity=False)
    sha256 = hashlib.sha256()
    with open_regular_file(path) as stream:
        try:
            while chunk := stream.read(CHUNK_SIZE):
                md5.update(chunk)
                sha256.update(chunk)
        except OSError as error:
            raise FileAccessError(describe_os_error(path, error)) from error
    return Md5Hash(md5.digest()), Sha256Hash(sha256.digest())
