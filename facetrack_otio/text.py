"""Text from file names, made fit for where it goes.

A Linux file name is any bytes but ``/`` and NUL: not necessarily UTF-8 (Python holds the
bytes it cannot decode as lone surrogates, which no UTF-8 file, OTIO object or JSON
document can hold), and possibly with line breaks and other control characters, which break
an EDL's ``TITLE`` line, make XML invalid, or split a one-line message.
"""

from __future__ import annotations

import unicodedata

_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _undecoded(char: str) -> bool:
    return 0xD800 <= ord(char) <= 0xDFFF


def shown(path: object) -> str:
    """A path as one line of text for a message: control characters and bytes that are not
    UTF-8 written as escapes (``a\\nb.mp4``, ``caf\\xe9.mp4``), much as ``ls`` quotes them."""
    out = []
    for char in str(path):
        code = ord(char)
        if char in _ESCAPES:
            out.append(_ESCAPES[char])
        elif code < 32 or code == 127:
            out.append(f"\\x{code:02x}")
        elif 0xDC80 <= code <= 0xDCFF:  # a byte os.fsdecode could not decode
            out.append(f"\\x{code - 0xDC00:02x}")
        elif _undecoded(char):
            out.append(f"\\u{code:04x}")
        else:
            out.append(char)
    return "".join(out)


def unicode_text(text: str) -> str:
    """``text`` with what UTF-8 cannot hold (bytes of a file name that were not UTF-8)
    replaced by U+FFFD, as any UTF-8 reader shows them."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "".join("\ufffd" if _undecoded(c) else c for c in text)
    return text


def display_name(text: str) -> str:
    """A name to show and to write into files (timeline, clip and file names): valid
    Unicode (:func:`unicode_text`), on one line (line breaks and tabs become spaces, other
    control characters U+FFFD)."""
    out = []
    for char in unicode_text(text):
        category = unicodedata.category(char)
        if char.isspace() and category != "Zs":
            out.append(" ")  # \n, \t, \r, \v, \f, U+0085, U+2028, U+2029
        elif category == "Cc":
            out.append("\ufffd")
        else:
            out.append(char)
    return "".join(out)


def one_line(text: str, limit: int = 400) -> str:
    """A message as one line: its first line (an ellipsis says more was cut, and brackets
    left open are closed), at most ``limit`` characters.

    Library errors can run over several lines (torch's spans six); the command line's
    contract is one line per error.
    """
    lines = [ln.strip() for ln in str(text).splitlines() if ln.strip()]
    line = lines[0] if lines else ""
    if len(line) > limit:
        line = line[: limit - 1].rstrip() + "…"
    elif len(lines) > 1:
        line += " …"
    if line.endswith("…"):
        line += ")" * max(0, line.count("(") - line.count(")"))
    return line
