"""Decide a feed's character encoding as browsers and RFC 7303 do, and hand over UTF-8.

The order: a byte order mark, then the ``charset`` of the HTTP ``Content-Type``, then the
XML declaration (or an HTML ``<meta>`` charset, for pages read during discovery), then
detection. A candidate that does not decode the body is passed over for the next one, so a
server that lies about the charset does not turn a correct declaration into mojibake.

feedparser deviates in three places, which is why feeds are decoded here first: it lets the
header beat a BOM, it reads ``text/xml`` without a charset as US-ASCII (RFC 3023, replaced by
RFC 7303), and an undeclared non-UTF-8 body falls back to windows-1252 without detection.

Labels are read as the WHATWG Encoding Standard reads them where the bytes ask for it:
``iso-8859-1`` and ``us-ascii`` mean windows-1252 (their C1 controls are never meant as text),
and a body that the declared ``tis-620``, ``gb2312``, ``euc-kr``, ... cannot decode is decoded
with the superset browsers use (windows-874, GB18030, windows-949, ...), as publishers saw it.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

import charset_normalizer
from charset_normalizer.utils import is_multi_byte_encoding

# XML 1.0 appendix F's "<?" in a 16- or 32-bit encoding without a BOM, widened to the "<!",
# "<html" or "<p" an HTML document starts with, after any blank.
_WIDE_PATTERNS = (
    (re.compile(rb"(?:[\t\n\r ]\x00{3})*<\x00{3}[!?A-Za-z]\x00{3}"), "utf-32-le"),
    (re.compile(rb"(?:\x00{3}[\t\n\r ])*\x00{3}<\x00{3}[!?A-Za-z]"), "utf-32-be"),
    (re.compile(rb"(?:[\t\n\r ]\x00)*<\x00[!?A-Za-z]\x00"), "utf-16-le"),
    (re.compile(rb"(?:\x00[\t\n\r ])*\x00<\x00[!?A-Za-z]"), "utf-16-be"),
)
# The WHATWG MIME Sniffing standard's "binary data bytes", looked for where it looks. Of the
# encodings documents use, only UTF-16 and UTF-32 put them there, and those are told by
# their byte order mark or their pattern above.
_BINARY_DATA_BYTES = re.compile(rb"[\x00-\x08\x0b\x0e-\x1a\x1c-\x1f]")
_BINARY_SNIFF_BYTES = 1445
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
# Labels whose C1 range (0x80-0x9f) browsers read as the Windows code page's letters.
_WINDOWS_CODE_PAGE = {
    "ascii": "cp1252",
    "latin-1": "cp1252",
    "iso8859-1": "cp1252",
    "iso8859-11": "cp874",
    "tis-620": "cp874",
}
_WHATWG_SUPERSETS = {
    "iso8859-9": "cp1254",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "euc_kr": "cp949",
    "shift_jis": "cp932",
    "big5": "big5hkscs",
}
_EXTRA_LABELS = {
    "x-mac-cyrillic": "mac-cyrillic",
    "windows-874": "cp874",
    "x-sjis": "cp932",
    "ms_kanji": "cp932",
    "unicode-1-1-utf-8": "utf-8",
    "x-euc-jp": "euc_jp",
}
# The legacy multi-byte charsets of the web, in the order a tie is broken: strict forms (GB2312,
# not the GB18030 that decodes almost any bytes), their browser supersets applied after.
_MULTI_BYTE = ("euc_jp", "shift_jis", "euc_kr", "gb2312", "big5")
_DETECTED_AS = {"cp932": "shift_jis", "gb2312": "gb18030"}
_CHARSET_PARAM = re.compile(r";\s*charset\s*=\s*[\"']?([^\"';\s]+)", re.I)
_XML_DECLARATION = re.compile(rb"^\s*<\?xml[^>]*?\bencoding\s*=\s*[\"']([A-Za-z0-9._:-]+)[\"']")
_XML_DECLARATION_ANY = re.compile(rb"^\s*<\?xml[^>]*\?>")
_META_CHARSET = re.compile(rb"<meta\b[^>]*?\bcharset\s*=\s*[\"']?([A-Za-z0-9._:-]+)", re.I)
_ASCII_PREFIX = 4096
MIN_BYTES_TO_DETECT = 16
# The WHATWG windows-1252 gives the five bytes cp1252 leaves undefined their ISO-8859-1
# meaning (C1 controls), so that one such byte does not cost the page its other letters.
_UNDEFINED_AS_LATIN1 = "wirestream-undefined-as-latin1"
codecs.register_error(
    _UNDEFINED_AS_LATIN1,
    lambda error: (
        bytes(error.object[error.start : error.end]).decode("latin-1"),  # type: ignore[attr-defined]
        error.end,  # type: ignore[attr-defined]
    ),
)


@dataclass(frozen=True)
class Decoded:
    text: str
    encoding: str  # Python codec name
    source: str  # bom, http, declaration, meta, detected, fallback
    problems: tuple[str, ...] = ()


def codec_for(label: str | None) -> str | None:
    """The Python codec a charset label means on the web, or None if it names none."""
    if not label:
        return None
    name = label.strip().lower()
    name = _EXTRA_LABELS.get(name, name)
    try:
        codec = codecs.lookup(name).name
    except LookupError:
        return None
    return _WINDOWS_CODE_PAGE.get(codec, codec)


def _strict_decode(body: bytes, codec: str) -> tuple[str, str]:
    """The text and the codec that decoded it: ``codec``, else its WHATWG superset."""
    if codec == "cp1252":
        return body.decode(codec, errors=_UNDEFINED_AS_LATIN1), codec
    try:
        return body.decode(codec), codec
    except UnicodeDecodeError:
        # The few bytes a Windows code page leaves undefined are read as ISO-8859 does.
        fallback = {"cp874": "tis-620"}.get(codec) or _WHATWG_SUPERSETS.get(codec)
        if fallback is None:
            raise
        return body.decode(fallback), fallback


def decode_document(body: bytes, content_type: str | None) -> Decoded:
    """The body as text, with the encoding chosen and where that choice came from."""
    problems: list[str] = []
    for bom, codec in _BOMS:
        if body.startswith(bom):
            return Decoded(body[len(bom) :].decode(codec, errors="replace"), codec, "bom")
    if (wide := _wide_codec(body)) is not None:
        return Decoded(body.decode(wide, errors="replace"), wide, "declaration")
    header = _CHARSET_PARAM.search(content_type or "")
    head = body[:_ASCII_PREFIX]
    declaration = _XML_DECLARATION.match(head)
    meta = None if declaration else _META_CHARSET.search(head)
    candidates: tuple[tuple[str, str | None], ...] = (
        ("http", header.group(1) if header else None),
        ("declaration", declaration.group(1).decode("ascii") if declaration else None),
        ("meta", meta.group(1).decode("ascii") if meta else None),
    )
    if not body.isascii():
        if header is None and _media_type(content_type).startswith("text/"):
            # RFC 3023 made a text/* body without a charset US-ASCII; clients that still
            # follow it (feedparser among them) misread this one, so the publisher is told.
            problems.append(
                f"CharacterEncodingOverride: {_media_type(content_type)} without a charset "
                "means us-ascii (RFC 3023), but the body is not ASCII"
            )
        # Valid multi-byte UTF-8 almost never happens by chance in a legacy charset, while
        # stale declarations of one over UTF-8 bytes are common.
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            pass
        else:
            problems.extend(_overridden(candidates, "utf-8"))
            return Decoded(text, "utf-8", "detected", tuple(problems))
    for source, label in candidates:
        if label is None:
            continue
        known = codec_for(label)
        if known is None:
            problems.append(f"unknown charset {label!r} ({source})")
            continue
        if known.startswith(("utf-16", "utf-32")):
            # A 16- or 32-bit document was recognised above by its byte pattern; this one
            # is not, so its declaration is wrong.
            continue
        try:
            text, used = _strict_decode(body, known)
        except UnicodeDecodeError as error:
            problems.append(f"charset {label!r} ({source}) does not fit the bytes: {error.reason}")
            continue
        return Decoded(text, used, source, tuple(problems))
    return _detected(body, tuple(problems))


def is_binary(body: bytes) -> bool:
    """Whether a browser would take ``body`` for binary data rather than text, by the MIME
    Sniffing standard's rule (a decoder reads any bytes as some text)."""
    if body.startswith(tuple(bom for bom, _ in _BOMS)) or _wide_codec(body) is not None:
        return False
    return _BINARY_DATA_BYTES.search(body, 0, _BINARY_SNIFF_BYTES) is not None


def _wide_codec(body: bytes) -> str | None:
    return next((codec for pattern, codec in _WIDE_PATTERNS if pattern.match(body)), None)


def _overridden(candidates: tuple[tuple[str, str | None], ...], used: str) -> list[str]:
    """What the document declared and was not read as."""
    return [
        f"CharacterEncodingOverride: declared {label!r} ({source}), read as {used}"
        for source, label in candidates
        if label is not None and codec_for(label) not in (None, used)
    ]


def _media_type(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


def _detected(body: bytes, problems: tuple[str, ...]) -> Decoded:
    try:
        return Decoded(body.decode("utf-8"), "utf-8", "detected", problems)
    except UnicodeDecodeError:
        pass
    # A few stray bytes fit dozens of code pages equally well (detectors then "find" a
    # language in the markup's ASCII); windows-1252, what browsers assume, is the better guess.
    if sum(byte > 0x7F for byte in body) >= MIN_BYTES_TO_DETECT:
        # A whole document that decodes in a strict multi-byte charset is in one of those:
        # text in a single-byte code page breaks their pairs within a line. Detection then
        # chooses among them only (their byte ranges overlap), and else takes the first.
        multi_byte = [codec for codec in _MULTI_BYTE if _decodes(body, codec)]
        best = charset_normalizer.from_bytes(body, cp_isolation=multi_byte or None).best()
        codec = codec_for(best.encoding) if best is not None else next(iter(multi_byte), None)
    else:
        best = codec = None
    # A multi-byte charset is told by its byte structure, a single-byte code page only by
    # the language its letters make.
    if codec is not None and (
        is_multi_byte_encoding(codec) or (best is not None and best.languages)
    ):
        # As browsers read them: Shift_JIS with JIS X 0208's wave dash and minus, not
        # Microsoft's; GB2312 as GBK.
        codec = _DETECTED_AS.get(codec, codec)
        guessed = (*problems, f"CharacterEncodingOverride: no usable charset; detected {codec}")
        try:
            text, codec = _strict_decode(body, codec)
        except UnicodeDecodeError:
            text = body.decode(codec, errors="replace")
        return Decoded(text, codec, "detected", guessed)
    fallback = (*problems, "CharacterEncodingOverride: no usable charset; read as cp1252")
    return Decoded(*_strict_decode(body, "cp1252"), "fallback", fallback)


def _decodes(body: bytes, codec: str) -> bool:
    try:
        body.decode(codec)
    except UnicodeDecodeError:
        return False
    return True


def as_utf8_xml(decoded: Decoded) -> bytes:
    """The text as UTF-8 bytes whose XML declaration, if any, says so."""
    data = decoded.text.encode("utf-8")
    declaration = _XML_DECLARATION_ANY.match(data)
    if declaration is None:
        return data
    fixed = re.sub(rb"\bencoding\s*=\s*[\"'][^\"']*[\"']", b'encoding="utf-8"', declaration.group())
    return fixed + data[declaration.end() :]
