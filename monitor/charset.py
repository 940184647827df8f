"""Decode a page's bytes to text the way a browser would.

Order: byte-order mark, the Content-Type charset, the document's own declaration (`<meta charset>`,
http-equiv, `<?xml encoding?>`), UTF-8, statistical detection (only when nothing is declared), and
Windows-1252 as the last resort. A declaration that does not fit the bytes is skipped. BOM and declaration sniffing are
BeautifulSoup's (`bs4.dammit.EncodingDetector`); labels are then mapped as the WHATWG Encoding
standard says browsers read them, e.g. ISO-8859-1 as Windows-1252, whose smart quotes Latin-1 lacks.
"""

from __future__ import annotations

import codecs
from collections.abc import Iterator
from functools import lru_cache

# Labels browsers read as a superset; decoding with the narrow codec garbles real pages.
_SUPERSETS = {
    "ascii": "cp1252",
    "latin_1": "cp1252",
    "iso8859-1": "cp1252",
    "iso8859-9": "cp1254",
    "tis-620": "cp874",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "shift_jis": "cp932",
    "euc_kr": "cp949",
    "big5": "big5hkscs",
}
_SINGLE_BYTE_WESTERN = frozenset({"cp1252", "iso8859-15", "cp1254"})
_DETECTION_BYTES = 200_000


@lru_cache(maxsize=128)
def codec_for(label: str | None) -> str | None:
    """The Python codec for a charset label as a browser would read it, or None when unknown."""
    if not label:
        return None
    try:
        name = codecs.lookup(label.strip().strip("\"'").lower()).name
        b"".decode(name)  # LookupError for codecs that are not text encodings (rot13, base64, ...)
    except LookupError:
        return None
    return _SUPERSETS.get(name, name)


def decode_html(raw: bytes, header_charset: str | None = None) -> tuple[str, str]:
    """Decode page bytes; returns (text, codec name) and never raises."""
    header = codec_for(header_charset)
    if header == "utf-8" and not raw.startswith(codecs.BOM_UTF8):
        try:
            return raw.decode("utf-8"), "utf-8"  # the common case: one plain decode
        except UnicodeDecodeError:
            pass
    from bs4.dammit import EncodingDetector  # imported here: bs4 takes ~0.1 s to import, the fast path needs none of it

    body, bom_encoding = EncodingDetector.strip_byte_order_mark(raw)
    if bom_encoding:
        codec = codec_for(bom_encoding) or bom_encoding
        return body.decode(codec, errors="replace"), codec
    tried: set[str] = set()
    for candidate in _candidates(raw, header, EncodingDetector.find_declared_encoding(raw, is_html=True)):
        if candidate in tried:
            continue
        tried.add(candidate)
        try:
            return raw.decode(candidate), candidate
        except (UnicodeDecodeError, LookupError):
            continue
    return raw.decode("cp1252", errors="replace"), "cp1252"


def _candidates(raw: bytes, header: str | None, declared_label: str | None) -> Iterator[str]:
    declarations = [codec for codec in (header, _ascii_compatible(codec_for(declared_label))) if codec]
    for declared in declarations:
        if declared in _SINGLE_BYTE_WESTERN and not raw.isascii():
            # Legacy text almost never forms valid multi-byte UTF-8 by accident: a page labelled
            # Latin-1 whose bytes are valid UTF-8 is UTF-8 under a template's default label.
            yield "utf-8"
        yield declared
    yield "utf-8"
    # Like a browser, guess only when the page declares nothing; a page whose declaration does not
    # fit is nearly always Western text from a legacy CMS, which the last resort reads.
    detected = None if declarations else _detect(raw)
    if detected:
        yield detected


def _ascii_compatible(codec: str | None) -> str | None:
    """A document that declares UTF-16 or UTF-32 in ASCII-readable markup without a BOM is UTF-8."""
    return "utf-8" if codec and codec.startswith(("utf-16", "utf-32")) else codec


def _detect(raw: bytes) -> str | None:
    from charset_normalizer import from_bytes  # imported here: only pages with no usable declaration need it

    best = from_bytes(raw[:_DETECTION_BYTES]).best()
    return codec_for(best.encoding) if best is not None else None
