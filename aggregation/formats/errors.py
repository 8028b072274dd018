"""The only exceptions the format mappers raise for bad input (anything else is a bug)."""

from __future__ import annotations

__all__ = ["FormatError", "MappingError", "UnsupportedFormat"]


class FormatError(ValueError):
    """Base class: this record cannot become a Product. The message says why, for humans."""


class UnsupportedFormat(FormatError):
    """The metadata is well-formed XML but in a format (namespace) no mapper reads."""


class MappingError(FormatError):
    """The record is not usable: not XML, unsafe XML, no metadata (deleted), or broken."""
