"""The batch summary: ``batch.csv`` (one row per input) and ``batch.json`` (everything)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from facetrack_otio import __version__
from facetrack_otio.batch.job import STATUS_FAILED, STATUS_OK, STATUS_SKIPPED, InputResult
from facetrack_otio.fsutil import atomic_write_text

SUMMARY_CSV = "batch.csv"
SUMMARY_JSON = "batch.json"

CSV_COLUMNS = (
    "input",
    "output",
    "status",
    "duration_s",
    "people",
    "turns",
    "speaking_time",
    "time_s",
    "faces_s",
    "speech_s",
    "speakers_s",
    "export_s",
    "render_s",
    "error",
)


def counts(results: Sequence[InputResult]) -> dict[str, int]:
    """Inputs per status."""
    out = {STATUS_OK: 0, STATUS_FAILED: 0, STATUS_SKIPPED: 0}
    for r in results:
        out[r.status] = out.get(r.status, 0) + 1
    return out


def _speaking(result: InputResult) -> str:
    return "; ".join(f"{p['name']}={p['speaking_time']:.2f}" for p in result.people)


def _row(r: InputResult) -> dict[str, Any]:
    def seconds(key: str) -> str:
        value = r.timings.get(key)
        return "" if value is None else f"{value:.3f}"

    return {
        "input": r.input,
        "output": r.output,
        "status": r.status,
        "duration_s": f"{r.duration:.3f}",
        "people": len(r.people),
        "turns": r.turns,
        "speaking_time": _speaking(r),
        "time_s": seconds("total"),
        "faces_s": seconds("faces"),
        "speech_s": seconds("speech"),
        "speakers_s": seconds("speakers"),
        "export_s": seconds("export"),
        "render_s": seconds("render"),
        "error": r.error,
    }


def write_summary(outdir: Path, results: Sequence[InputResult], run: dict[str, Any]) -> list[Path]:
    """Write ``batch.csv`` and ``batch.json`` into ``outdir``.

    Parameters
    ----------
    outdir : pathlib.Path
        The batch output folder.
    results : sequence of InputResult
        One per input, in input order.
    run : dict
        About the run as a whole (engine, workers, wall time...), stored in ``batch.json``.

    Returns
    -------
    list of pathlib.Path
        The two files written.
    """
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for r in results:
        writer.writerow(_row(r))
    data = {
        "version": __version__,
        **run,
        "counts": counts(results),
        "inputs": [
            {
                **r.to_dict(),
                "speaking_time": {p["name"]: p["speaking_time"] for p in r.people},
            }
            for r in results
        ],
    }
    return [
        atomic_write_text(outdir / SUMMARY_CSV, buf.getvalue()),
        atomic_write_text(outdir / SUMMARY_JSON, json.dumps(data, indent=2) + "\n"),
    ]
