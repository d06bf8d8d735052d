"""What the fuzz suite does to inputs: media bytes (box by box for MP4), names in every byte
class, numbers at their edges, settings files, RTTM and OTIO text."""

from __future__ import annotations

import json
import random
import struct
from collections.abc import Callable
from dataclasses import dataclass

# --------------------------------------------------------------------------- MP4 boxes

# Boxes that hold other boxes (ISO/IEC 14496-12), walked into.
_CONTAINERS = {
    b"moov", b"trak", b"mdia", b"minf", b"stbl", b"edts", b"udta", b"dinf", b"mvex",
    b"moof", b"traf", b"mfra",
}  # fmt: skip


@dataclass(frozen=True)
class Box:
    """One box: where it starts, its whole size, its type, how deep it sits."""

    offset: int
    size: int
    kind: bytes
    depth: int

    @property
    def end(self) -> int:
        return self.offset + self.size


def boxes(data: bytes) -> list[Box]:
    """Every box of an MP4/MOV, containers walked into, in file order."""
    out: list[Box] = []

    def walk(start: int, stop: int, depth: int) -> None:
        offset = start
        while offset + 8 <= stop:
            size, kind = struct.unpack(">I4s", data[offset : offset + 8])
            header = 8
            if size == 1 and offset + 16 <= stop:
                size, header = struct.unpack(">Q", data[offset + 8 : offset + 16])[0], 16
            elif size == 0:
                size = stop - offset
            if size < header or offset + size > stop:
                return
            out.append(Box(offset, size, kind, depth))
            if kind in _CONTAINERS:
                walk(offset + header, offset + size, depth + 1)
            offset += size

    walk(0, len(data), 0)
    return out


def box_cuts(data: bytes) -> list[tuple[int, str]]:
    """Every truncation at a box boundary: at each box's start, just after its header, one
    byte before its end and at its end (deduplicated, the whole file left out)."""
    cuts: dict[int, str] = {}
    for box in boxes(data):
        name = box.kind.decode("latin-1")
        for at, where in (
            (box.offset, "start"),
            (box.offset + 8, "header"),
            (box.end - 1, "end-1"),
            (box.end, "end"),
        ):
            if 0 < at < len(data):
                cuts.setdefault(at, f"cut at {at} ({where} of {name}@{box.offset})")
    return sorted(cuts.items())


Mutation = Callable[[bytes, random.Random], tuple[bytes, str]]


def _flip(data: bytes, rng: random.Random, lo: int, hi: int, n: int) -> bytearray:
    out = bytearray(data)
    for _ in range(n):
        out[rng.randrange(lo, max(lo + 1, hi))] = rng.randrange(256)
    return out


def truncate(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    cuts = box_cuts(data)
    if cuts and rng.random() < 0.8:
        at, what = rng.choice(cuts)
        return data[:at], what
    at = rng.randrange(1, len(data))
    return data[:at], f"cut at {at}"


def header_bytes(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    """Random bytes in the first bytes of a non-media box (the index's tables)."""
    heads = [b for b in boxes(data) if b.kind not in (b"mdat", b"free")]
    if not heads:
        n = rng.randint(1, 16)
        return bytes(_flip(data, rng, 0, min(len(data), 4096), n)), f"{n} random bytes in the head"
    box = rng.choice(heads)
    n = rng.randint(1, 8)
    span = min(box.size, rng.choice((16, 32, 256)))
    out = _flip(data, rng, box.offset, box.offset + span, n)
    return bytes(out), f"{n} random bytes in {box.kind.decode('latin-1')}@{box.offset}"


def payload_bytes(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    """Random bytes in the media data."""
    media = [b for b in boxes(data) if b.kind == b"mdat"]
    lo, hi = (media[0].offset + 8, media[0].end) if media else (len(data) // 4, len(data))
    n = rng.choice((1, 10, 100, 1000))
    return bytes(_flip(data, rng, lo, hi, n)), f"{n} random bytes in the media data"


def box_size(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    """A box whose size field lies."""
    all_boxes = boxes(data)
    if not all_boxes:
        return header_bytes(data, rng)
    box = rng.choice(all_boxes)
    size = rng.choice((0, 1, 7, 8, box.size - 1, box.size + 1, 2**31, 2**32 - 1))
    out = bytearray(data)
    out[box.offset : box.offset + 4] = struct.pack(">I", size)
    return bytes(out), f"size of {box.kind.decode('latin-1')}@{box.offset} set to {size}"


def box_type(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    """A box whose type is garbage."""
    all_boxes = boxes(data)
    if not all_boxes:
        return header_bytes(data, rng)
    box = rng.choice(all_boxes)
    out = bytearray(data)
    out[box.offset + 4 : box.offset + 8] = rng.randbytes(4)
    return bytes(out), f"type of {box.kind.decode('latin-1')}@{box.offset} made random"


def splice(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    """A range zeroed, cut out, repeated, or garbage appended."""
    a = rng.randrange(len(data))
    b = min(len(data), a + rng.choice((16, 512, 8192, 65536)))
    how = rng.choice(("zero", "drop", "repeat", "append"))
    if how == "zero":
        return data[:a] + bytes(b - a) + data[b:], f"bytes {a}..{b} zeroed"
    if how == "drop":
        return data[:a] + data[b:], f"bytes {a}..{b} cut out"
    if how == "repeat":
        return data[:b] + data[a:b] + data[b:], f"bytes {a}..{b} repeated"
    return data + rng.randbytes(b - a), f"{b - a} random bytes appended"


def replace(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    """Not the media at all: empty-ish, random, or only the first box."""
    how = rng.choice(("one byte", "random", "first box", "text"))
    if how == "one byte":
        return data[:1], "only its first byte"
    if how == "random":
        return rng.randbytes(rng.choice((8, 1000, 100_000))), "random bytes"
    if how == "first box":
        first = boxes(data)[:1]
        return (data[: first[0].end] if first else data[:32]), "only its first box"
    return b"not a video\n" * 10, "a text file"


MEDIA_MUTATIONS: dict[str, Mutation] = {
    "truncate": truncate,
    "header": header_bytes,
    "payload": payload_bytes,
    "size": box_size,
    "type": box_type,
    "splice": splice,
    "replace": replace,
}


# --------------------------------------------------------------------------- names

# Byte classes a POSIX file name can hold (all but "/" and NUL), as bytes.
NAME_CLASSES: dict[str, Callable[[random.Random], bytes]] = {
    "letters": lambda r: r.choice((b"talk", b"Interview_2", b"take.3")),
    "spaces": lambda r: r.choice((b" ", b"  lead", b"trail ", b"a  b")),
    "shell": lambda r: bytes(r.choice(b"'\"$`\\!*?[]{}();&|<>~#%^=+,@") for _ in range(3)),
    "apostrophe": lambda r: r.choice((b"O'Brien", b"it's", b"'", b'"q" O\'x')),
    "dash": lambda r: b"-" + r.choice((b"x", b"-help", b"o", b"")),
    "dots": lambda r: r.choice((b".", b"..", b"a..b", b".hidden")),
    "control": lambda r: bytes([r.choice([*range(1, 32), 127])]) + b"x" + b"\n",
    "latin1": lambda r: bytes(r.randrange(128, 256) for _ in range(r.randint(1, 3))),
    "utf8": lambda r: r.choice(
        ("é", "日本語", "🎬", "e\u0301", "\u202eRTL", "\u200b", "\u2028", "\ufeff")
    ).encode(),
    "percent": lambda r: r.choice((b"%20", b"%2F", b"%", b"file:")),
    "long": lambda r: b"n" * r.randint(200, 245),
}


def odd_name(
    rng: random.Random, suffix: bytes = b"", classes: int | None = None
) -> tuple[str, str]:
    """A file name of one to three byte classes (and ``suffix``), within 255 bytes; returns
    it (``os.fsdecode``-d) and the classes' names."""
    chosen = rng.sample(sorted(NAME_CLASSES), classes or rng.randint(1, 3))
    stem = b"".join(NAME_CLASSES[c](rng) for c in chosen)
    stem = stem[: 255 - len(suffix)] or b"x"
    if stem in (b".", b".."):
        stem += b"x"
    import os

    return os.fsdecode(stem + suffix), "+".join(chosen)


# --------------------------------------------------------------------------- numbers

EDGE_NUMBERS = (
    "0", "-1", "-0", "nan", "inf", "-inf", "1e308", "-1e308", "1e-300",
    str(10**30), "1e400", "0x10", "", " 5", "1,5", "½",
)  # fmt: skip


# --------------------------------------------------------------------------- settings files


def settings_cases() -> list[tuple[str, str, str]]:
    """Every numeric setting of every table: ``(table, key, default)``."""
    from dataclasses import fields, is_dataclass

    from facetrack_otio.config import Settings

    out = []
    settings = Settings()
    for f in fields(settings):
        value = getattr(settings, f.name)
        if is_dataclass(value):
            for g in fields(value):
                inner = getattr(value, g.name)
                if isinstance(inner, (int, float, tuple)) and not isinstance(inner, bool):
                    out.append((f.name, g.name, json.dumps(inner)))
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            out.append(("", f.name, json.dumps(value)))
    return out


TOML_VALUES = ("0", "-1", "nan", "inf", "-inf", "1e308", "-1e308", "1e-300", str(10**30),
               '"x"', "true", "[]", "[1, 2]", "{}")  # fmt: skip


def settings_text(table: str, key: str, value: str) -> str:
    return (f"[{table}]\n" if table else "") + f"{key} = {value}\n"


def mangle_text(text: str, rng: random.Random) -> tuple[str, str]:
    """Text with a line dropped, repeated or cut, or bytes that are not text."""
    lines = text.splitlines(keepends=True) or [""]
    how = rng.choice(("drop", "repeat", "cut", "garbage"))
    i = rng.randrange(len(lines))
    if how == "drop":
        return "".join(lines[:i] + lines[i + 1 :]), f"line {i + 1} dropped"
    if how == "repeat":
        return "".join(lines[: i + 1] + lines[i:]), f"line {i + 1} repeated"
    if how == "cut":
        at = rng.randrange(len(text) + 1)
        return text[:at], f"cut at {at}"
    at = rng.randrange(len(text) + 1)
    junk = rng.randbytes(rng.randint(1, 40)).decode("latin-1")
    return text[:at] + junk + text[at:], f"{len(junk)} random characters at {at}"


# --------------------------------------------------------------------------- RTTM


def mangle_rttm(text: str, rng: random.Random) -> tuple[bytes, str]:
    """An RTTM with a field made odd, or its text mangled, or bytes that are not UTF-8."""
    lines = [ln.split() for ln in text.splitlines() if ln.strip()]
    how = rng.choice(("field", "field", "text", "binary", "empty"))
    if how == "field" and lines:
        i = rng.randrange(len(lines))
        j = rng.choice((1, 3, 4, 7, 3, 4))
        value = rng.choice((*EDGE_NUMBERS, "SPEAKER", "<NA>", "x" * 300))
        lines[i][j : j + 1] = [value] if value.strip() else []
        out = "\n".join(" ".join(ln) for ln in lines) + "\n"
        return out.encode(), f"line {i + 1} field {j + 1} set to {value!r}"
    if how == "text":
        out, what = mangle_text(text, rng)
        return out.encode("utf-8", "surrogateescape"), what
    if how == "binary":
        return rng.randbytes(200), "random bytes"
    return rng.choice((b"", b"\n", b";; comment only\n")), "no turns"


# --------------------------------------------------------------------------- OTIO


def mangle_otio(text: str, rng: random.Random) -> tuple[bytes, str]:
    """An .otio whose JSON lost or changed a value, or whose text is mangled."""
    how = rng.choice(("value", "value", "value", "text"))
    if how == "text":
        out, what = mangle_text(text, rng)
        return out.encode("utf-8", "surrogateescape"), what
    doc = json.loads(text)
    paths: list[tuple[list, object]] = []

    def walk(node: object, trail: list) -> None:
        paths.append((trail, node))
        if isinstance(node, dict):
            for k, v in node.items():
                walk(v, [*trail, k])
        elif isinstance(node, list):
            for k, v in enumerate(node):
                walk(v, [*trail, k])

    walk(doc, [])
    trail, _ = rng.choice(paths[1:])
    parent = doc
    for key in trail[:-1]:
        parent = parent[key]
    new = rng.choice(
        (None, -1, 0, 1e308, float("nan"), "x", "", [], {}, True, "\udcff", "a'b\"c", 10**30)
    )
    action = "deleted" if rng.random() < 0.3 else f"set to {new!r}"
    if action == "deleted" and isinstance(parent, dict):
        del parent[trail[-1]]
    elif action == "deleted":
        parent.pop(trail[-1])
    else:
        parent[trail[-1]] = new
    out = json.dumps(doc, indent=1)
    return out.encode("utf-8", "surrogateescape"), f"{'/'.join(map(str, trail))} {action}"
