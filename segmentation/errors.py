"""The two error families of the segmentation core.

``SegmentationError`` is raised while planning an outbound body (a limit was
exceeded, or the body cannot go on the wire); ``DecodeError`` is raised while
decoding inbound bytes.  Both are ``ValueError`` subclasses whose message names
the limit or the malformed field, so an API layer can show it as it is.
"""
from __future__ import annotations


class SegmentationError(ValueError):
    """An outbound body cannot be planned; the message names the limit."""


class DecodeError(ValueError):
    """Inbound bytes are malformed for the data_coding they claim."""
