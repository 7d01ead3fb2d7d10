"""The ways hashing a file can fail, each with a message a person can act on.

A victim points the CLI at a folder of whatever is on their phone; a platform feeds the library
uploads. Neither should ever see a traceback: every failure is one of these, and `str()` of it
is one line that says what is wrong with which input.
"""

from __future__ import annotations


class HashingError(Exception):
    """Base of every hashing failure; `str(error)` is one line for a person."""


class FileAccessError(HashingError):
    """The path cannot be read: missing, a directory, no permission, an I/O error."""


class EmptyFileError(HashingError):
    """The file has no bytes, so there is nothing to fingerprint."""


class ImageDecodeError(HashingError):
    """The bytes are an image that cannot be decoded, or one refused (truncated, too large)."""


class NotAnImageError(ImageDecodeError):
    """The bytes are in no image format hashstop reads (the file may still be hashed exactly)."""
