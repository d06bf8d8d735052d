"""``facetrack eval``: score a hypothesis RTTM against a reference RTTM."""

from __future__ import annotations

import argparse
import json
import math
from typing import Any

from facetrack_otio.cli.common import add_command
from facetrack_otio.errors import InputError


def add_parser(sub: Any) -> None:
    ev = add_command(
        sub,
        "eval",
        help="score a hypothesis RTTM against a reference RTTM",
        description="Diarization error rate (collar, overlap scored, optimal speaker mapping) "
        "and speech/non-speech F1.",
    )
    ev.add_argument("hypothesis", help="RTTM to score")
    ev.add_argument("reference", help="ground-truth RTTM")
    ev.add_argument("--collar", type=float, default=0.25, help="seconds (default %(default)s)")
    ev.add_argument("--json", action="store_true", help="print JSON")


def main(args: argparse.Namespace) -> int:
    from facetrack_otio.eval.der import diarization_error_rate
    from facetrack_otio.eval.reading import read_scored_rttm
    from facetrack_otio.eval.speech import speech_scores

    if not (math.isfinite(args.collar) and 0 <= args.collar <= 60):
        raise InputError(f"--collar must be 0 to 60 seconds, got {args.collar}")
    hyp = read_scored_rttm(args.hypothesis, reference=False)
    ref = read_scored_rttm(args.reference, reference=True)
    der = diarization_error_rate(ref, hyp, collar=args.collar)
    sp = speech_scores([(s, e) for _, s, e in ref], [(s, e) for _, s, e in hyp])
    result = {
        "der": round(der.der, 4),
        "missed": round(der.missed, 3),
        "false_alarm": round(der.false_alarm, 3),
        "confusion": round(der.confusion, 3),
        "scored": round(der.total, 3),
        "mapping": der.mapping,
        "speech_f1": round(sp.f1, 4),
    }
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(
            f"DER {der.der:.3f} (missed {der.missed:.2f}s, false alarm {der.false_alarm:.2f}s, "
            f"confusion {der.confusion:.2f}s of {der.total:.2f}s); speech F1 {sp.f1:.3f}"
        )
    return 0
