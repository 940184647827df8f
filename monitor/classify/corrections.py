"""Correction, clarification, update and editor's notes."""

from __future__ import annotations

import re

from monitor.diff import straighten

_LEAD = r"^[\s*(\[_]*"
_NOTE = re.compile(
    _LEAD + r"(?:correction|clarification|update|updated|editor'?s'? note)s?\b(?:[^:.\n]|(?<=\d)\.(?=\d)){0,40}?[:—–-]"
    r"|" + _LEAD + r"an? (?:earlier|previous) version of this (?:article|story|report|post|piece)"
    r"|" + _LEAD + r"this (?:article|story|report|post|piece) (?:has been|was|is being|had been) "
    r"(?:updated|amended|corrected|changed|revised|clarified|edited)",
    re.IGNORECASE,
)


def is_correction(text: str | None) -> bool:
    """Whether a paragraph or sentence opens as a correction, clarification, update or editor's note."""
    return bool(text) and _NOTE.match(straighten(text)) is not None
