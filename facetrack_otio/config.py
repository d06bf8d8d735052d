"""Every setting, one table per stage: :class:`Settings` joins each stage's settings
(declared in that stage's ``settings.py`` with :func:`facetrack_otio.setting.setting`).

Defaults were chosen by measurement on the bundled samples (see docs/performance.md and
docs/accuracy.md). Each stage takes its own part: ``settings.faces``, ``settings.speakers``...
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields, is_dataclass, replace
from typing import Any

from facetrack_otio.faces.settings import FaceSettings
from facetrack_otio.multicam.settings import MulticamSettings
from facetrack_otio.render.settings import RenderSettings
from facetrack_otio.setting import READ, Range, SettingError, check, setting
from facetrack_otio.speakers.settings import SpeakerSettings, VoiceSettings
from facetrack_otio.speech.settings import VadSettings

__all__ = [
    "FaceSettings",
    "MulticamSettings",
    "RenderSettings",
    "Settings",
    "SpeakerSettings",
    "VadSettings",
    "VoiceSettings",
    "settings_to_dict",
    "updated",
]


@dataclass(frozen=True)
class Settings:
    """Every analysis setting, grouped by stage."""

    faces: FaceSettings = field(default_factory=FaceSettings)
    vad: VadSettings = field(default_factory=VadSettings)
    speakers: SpeakerSettings = field(default_factory=SpeakerSettings)
    voice: VoiceSettings = field(default_factory=VoiceSettings)
    audio_stream: int = setting(
        0,
        "which audio stream to listen to, counted from 0",
        Range(0),
        flag="--audio-stream",
        adapter=READ,
        metavar="N",
    )
    reframe_hz: float = setting(
        5.0,
        "keyframe rate of the face boxes stored on clips for reframing",
        Range(0, 100, above=True),
    )
    render: RenderSettings = field(default_factory=RenderSettings)
    """Clip rendering (x264 preset and CRF, pads, parallel encodes)."""
    multicam: MulticamSettings = field(default_factory=MulticamSettings)
    """``facetrack multicam``: sync, microphones and the editing rules of the program cut."""

    def __post_init__(self) -> None:
        check(self)

    def to_dict(self) -> dict[str, Any]:
        return {
            "faces": settings_to_dict(self.faces),
            "vad": settings_to_dict(self.vad),
            "speakers": settings_to_dict(self.speakers),
            "voice": settings_to_dict(self.voice),
            "audio_stream": self.audio_stream,
            "reframe_hz": self.reframe_hz,
            "render": settings_to_dict(self.render),
            "multicam": settings_to_dict(self.multicam),
        }


def settings_to_dict(obj: Any) -> dict[str, Any]:
    """Plain-JSON form of a settings dataclass (tuples become lists)."""
    return {k: (list(v) if isinstance(v, tuple) else v) for k, v in asdict(obj).items()}


def updated(obj: Any, values: dict[str, Any]) -> Any:
    """Copy of a (nested) settings dataclass with ``values`` replaced; unknown keys raise."""
    known = {f.name: f for f in fields(obj)}
    changes = {}
    for key, value in values.items():
        if key not in known:
            raise KeyError(f"unknown setting {key!r}")
        current = getattr(obj, key)
        if is_dataclass(current) and isinstance(value, dict):
            try:
                changes[key] = updated(current, value)
            except SettingError as exc:
                raise exc.within(key) from None
        elif isinstance(current, tuple) and isinstance(value, list):
            changes[key] = tuple(value)
        else:
            changes[key] = value
    return replace(obj, **changes)
