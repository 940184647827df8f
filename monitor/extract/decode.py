"""Turn page bytes into text: BOM, then a declared charset near the top (a Latin-1/cp1252 label on
valid UTF-8 bytes is taken as a mislabel), then UTF-8, then cp1252."""

from __future__ import annotations

import codecs
import re

_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
# <meta charset="x">, <meta http-equiv="Content-Type" content="text/html; charset=x">, <?xml encoding="x"?>
_DECLARED = re.compile(
    rb"""<meta[^>]+charset\s*=\s*["']?\s*([a-zA-Z0-9_:.\-]+)|<\?xml[^>]+encoding\s*=\s*["']([a-zA-Z0-9_.\-]+)""",
    re.IGNORECASE,
)
# What browsers actually use for these labels (WHATWG Encoding Standard).
_ALIASES = {
    "iso-8859-1": "cp1252",
    "iso8859-1": "cp1252",
    "latin-1": "cp1252",
    "latin1": "cp1252",
    "l1": "cp1252",
    "us-ascii": "cp1252",
    "ascii": "cp1252",
    "windows-1252": "cp1252",
    "x-user-defined": "cp1252",
    "iso-8859-9": "cp1254",
    "tis-620": "cp874",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "ks_c_5601-1987": "cp949",
    "euc-kr": "cp949",
    "shift_jis": "cp932",
    "x-sjis": "cp932",
    "utf8": "utf-8",
    "unicode": "utf-8",
}


_SINGLE_BYTE_WESTERN = frozenset({"cp1252", "latin_1", "iso8859-15", "cp1254"})


def _codec(label: str) -> str | None:
    label = label.strip().lower()
    label = _ALIASES.get(label, label)
    try:
        name = codecs.lookup(label).name
    except LookupError:
        return None
    # A page that says UTF-16 in its markup but has no BOM is really ASCII-compatible.
    return "utf-8" if name.startswith("utf-16") or name.startswith("utf-32") else name


def decode_html(data: bytes) -> str:
    """Decode HTML bytes the way a browser would, never raising."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return data[len(bom):].decode(encoding, errors="replace")
    match = _DECLARED.search(data, 0, 2048)
    if match:
        codec = _codec((match.group(1) or match.group(2)).decode("ascii", "replace"))
        if codec:
            if codec == "utf-8":
                try:
                    return data.decode("utf-8")
                except UnicodeDecodeError:
                    return data.decode("cp1252", errors="replace")  # mislabelled legacy page
            if codec in _SINGLE_BYTE_WESTERN and not data.isascii():
                # A page labelled Latin-1/cp1252 whose bytes are valid UTF-8 with multi-byte
                # sequences is UTF-8 mislabelled (a template default): legacy text almost never
                # forms valid UTF-8 by accident.
                try:
                    return data.decode("utf-8")
                except UnicodeDecodeError:
                    pass
            return data.decode(codec, errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")
