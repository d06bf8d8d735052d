"""Scoring tools: diarization error rate and speech / non-speech agreement."""

from facetrack_otio.eval.der import DERResult, diarization_error_rate
from facetrack_otio.eval.speech import SpeechScores, speech_f1, speech_scores, union_intervals

__all__ = [
    "DERResult",
    "SpeechScores",
    "diarization_error_rate",
    "speech_f1",
    "speech_scores",
    "union_intervals",
]
