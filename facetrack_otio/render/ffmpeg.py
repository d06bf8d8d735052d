"""The ffmpeg argument lists that cut clips out of a source on its frame grid.

:func:`ffmpeg_args` cuts one span (with an optional video filter: the reframing crop plugs in
there), :func:`joined_args` several spans joined into one file; both take a
:class:`ClipRange` from :func:`frame_range`.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from facetrack_otio.render.encoders import video_codec_args
from facetrack_otio.render.settings import RenderSettings


@dataclass(frozen=True)
class ClipRange:
    """A span of the source on its frame grid.

    Attributes
    ----------
    first_frame : int
        Index of the first frame on the nominal grid (frame ``k`` starts at ``k / fps``).
    n_frames : int
        Number of frames in the clip (at least 1).
    fps : Fraction
        The source's nominal frame rate.
    origin : float
        Seconds between the container's start and the first video frame (``-ss`` counts from
        the container's start; turn times count from the first frame).
    """

    first_frame: int
    n_frames: int
    fps: Fraction
    origin: float = 0.0

    @property
    def start(self) -> float:
        """Start in seconds from the first video frame."""
        return float(self.first_frame / self.fps)

    @property
    def duration(self) -> float:
        """Exact length in seconds (``n_frames / fps``)."""
        return float(self.n_frames / self.fps)

    @property
    def end(self) -> float:
        return self.start + self.duration


def frame_range(
    start: float, end: float, fps: Fraction, *, origin: float = 0.0, limit: float | None = None
) -> ClipRange:
    """Round a time span to the frame grid.

    Parameters
    ----------
    start, end : float
        Seconds from the first video frame; ``end > start``.
    fps : Fraction
        Nominal frame rate.
    origin : float
        Passed through to :class:`ClipRange`.
    limit : float, optional
        Seconds of video available; the range is clamped to it.

    Returns
    -------
    ClipRange
        Start and end each rounded to the nearest frame boundary, so the clip's length is
        within one frame of ``end - start``; never empty.

    Raises
    ------
    ValueError
        When the span starts at or after ``limit``.
    """
    first = max(0, round(Fraction(start) * fps))
    last = round(Fraction(end) * fps)
    if limit is not None:
        total = max(1, round(Fraction(limit) * fps))
        if first >= total:
            raise ValueError(
                f"starts at {start:.3f} s, at or after the end of the video ({limit:.3f} s)"
            )
        last = min(last, total)
    return ClipRange(first, max(1, last - first), fps, origin)


def seconds_arg(value: float | Fraction) -> str:
    """A time as ffmpeg reads it: seconds with six decimals."""
    # ffmpeg reads times in microseconds; six decimals lose nothing.
    return f"{float(value):.6f}"


def ffmpeg_args(
    source: str | os.PathLike[str],
    output: str | os.PathLike[str],
    clip: ClipRange,
    settings: RenderSettings,
    *,
    audio: bool,
    video_filter: str | None = None,
    threads: int = 0,
    ffmpeg: str = "ffmpeg",
    encoder: str = "libx264",
) -> list[str]:
    """The ffmpeg argument list that cuts and encodes one clip.

    Parameters
    ----------
    source, output : str or os.PathLike
        Input media and the mp4 to write (made absolute and given as ``file:`` URLs, so no
        name is read as an option or a protocol).
    clip : ClipRange
        The frames to keep.
    settings : RenderSettings
        Encoder settings.
    audio : bool
        Whether to include the source's audio stream ``settings.audio_stream``.
    video_filter : str, optional
        An ffmpeg filter chain applied to the video (e.g. ``crop=405:720:100:0``); its time
        ``t`` starts at 0 at the clip's first frame.
    threads : int
        Encoder threads (0 lets x264 choose).
    ffmpeg : str
        The ffmpeg executable.
    encoder : str
        ``libx264`` or ``h264_nvenc``.

    Returns
    -------
    list of str
        Arguments for :func:`subprocess.run` (never a shell string).
    """
    seek = seek_point(clip)
    args = [ffmpeg, "-nostdin", "-hide_banner", "-v", "error", "-y"]
    # Machine-readable progress on stdout: the final frame count tells a clip cut short by a
    # damaged or truncated source from a complete one.
    args += ["-progress", "pipe:1", "-nostats"]
    # -ss before -i with re-encoding is frame-accurate: ffmpeg seeks to the keyframe before and
    # drops what decodes ahead of the seek point, for video and audio alike.
    args += ["-ss", seconds_arg(seek), "-i", file_url(source)]
    args += ["-map", "0:v:0"]
    if audio:
        args += ["-map", f"0:a:{settings.audio_stream}"]
    # -t on the output cuts video and audio at the same instant, n_frames / fps after the seek
    # point. (-frames:v would stop the muxer before the AAC encoder's last packets and shorten
    # the audio.)
    args += ["-t", seconds_arg(clip.duration)]
    fps = clip.fps
    rate = f"{fps.numerator}/{fps.denominator}"
    # The fps filter puts every frame on the nominal grid and, where a variable-rate source
    # skips a frame, repeats the one on screen; so a clip always holds n_frames frames, each
    # showing what the source shows at that instant.
    chain = f"fps={rate}" + (f",{video_filter}" if video_filter else "")
    # yuv420p needs an even width and height: drop a stray last row or column (a no-op on the
    # usual sizes, and a guard for whatever a crop filter produces).
    chain += ",crop=trunc(iw/2)*2:trunc(ih/2)*2"
    args += ["-vf", chain, *video_codec_args(encoder, settings.preset, settings.crf, threads)]
    args += ["-r", rate]
    if audio:
        args += ["-c:a", "aac", "-b:a", settings.audio_bitrate]
    args += mp4_tail(output)
    return args


def seek_point(clip: ClipRange) -> Fraction:
    """Where ``-ss`` seeks to for ``clip``: its first frame, a hair early."""
    # A hair before the first frame, so a frame whose timestamp is rounded a little early in
    # the container still counts; far less than a frame, and inaudible.
    nudge = min(Fraction(1, 500), 1 / (4 * clip.fps))
    return max(Fraction(0), Fraction(clip.origin) + clip.first_frame / clip.fps - nudge)


def joined_args(
    source: str | os.PathLike[str],
    output: str | os.PathLike[str],
    clips: Sequence[ClipRange],
    settings: RenderSettings,
    *,
    audio: bool,
    video_filter: str | None = None,
    threads: int = 0,
    ffmpeg: str = "ffmpeg",
    encoder: str = "libx264",
) -> list[str]:
    """The ffmpeg argument list that cuts several spans and joins them into one clip.

    Each span is its own seeked input (so only those parts of the source are decoded), put on
    the frame grid and cut to exactly its frames; its audio is cut to the same length (padded
    with silence should the source's audio end early), so the audio stays in sync across the
    joins. The concat filter joins them in one encode.

    Parameters
    ----------
    source, output : str or os.PathLike
        Input media and the mp4 to write.
    clips : sequence of ClipRange
        The spans, in the order they are joined.
    settings : RenderSettings
        Encoder settings.
    audio : bool
        Whether to include the source's audio stream ``settings.audio_stream``.
    video_filter : str, optional
        A filter chain applied to the joined video; its ``t`` starts at 0 at the first frame.
    threads : int
        Encoder threads (0 lets x264 choose).
    ffmpeg : str
        The ffmpeg executable.
    encoder : str
        ``libx264`` or ``h264_nvenc``.

    Returns
    -------
    list of str
    """
    if not clips:
        raise ValueError("nothing to join")
    fps = clips[0].fps
    rate = f"{fps.numerator}/{fps.denominator}"
    args = [ffmpeg, "-nostdin", "-hide_banner", "-v", "error", "-y", "-progress", "pipe:1"]
    args += ["-nostats"]
    parts = []
    for i, clip in enumerate(clips):
        # Input -t only bounds the decoding; trim/atrim below make the exact cut.
        read = clip.duration + 2 / float(fps)
        args += [
            "-ss",
            seconds_arg(seek_point(clip)),
            "-t",
            seconds_arg(read),
            "-i",
            file_url(source),
        ]
        parts.append(
            f"[{i}:v:0]fps={rate},trim=end_frame={clip.n_frames},setpts=PTS-STARTPTS[v{i}]"
        )
        if audio:
            d = seconds_arg(clip.duration)
            parts.append(
                f"[{i}:a:{settings.audio_stream}]atrim=end={d},apad=whole_dur={d},"
                f"asetpts=PTS-STARTPTS[a{i}]"
            )
    joined = "".join(f"[v{i}]" + (f"[a{i}]" if audio else "") for i in range(len(clips)))
    tail = f"{video_filter}," if video_filter else ""
    parts.append(
        f"{joined}concat=n={len(clips)}:v=1:a={int(audio)}[vj]" + ("[aout]" if audio else "")
    )
    parts.append(f"[vj]{tail}crop=trunc(iw/2)*2:trunc(ih/2)*2[vout]")
    args += ["-filter_complex", ";".join(parts), "-map", "[vout]"]
    if audio:
        args += ["-map", "[aout]", "-c:a", "aac", "-b:a", settings.audio_bitrate]
    total = Fraction(sum(c.n_frames for c in clips)) / fps
    args += [*video_codec_args(encoder, settings.preset, settings.crf, threads), "-r", rate]
    args += ["-t", seconds_arg(total), *mp4_tail(output)]
    return args


def mp4_tail(output: str | os.PathLike[str]) -> list[str]:
    """The last arguments of a clip's command: no metadata or chapters carried over,
    ``+faststart``, an error when nothing was encoded, and ``output``."""
    return [
        # The source's timecode and chapters would be wrong for a piece cut out of it.
        "-map_metadata",
        "-1",
        "-map_chapters",
        "-1",
        "-movflags",
        "+faststart",
        # ffmpeg exits 0 when nothing was encoded; make that an error.
        "-abort_on",
        "empty_output",
        "-f",
        "mp4",
        file_url(output),
    ]


def file_url(path: str | os.PathLike[str]) -> str:
    """``path`` as an absolute ``file:`` URL: no name is read as an option or a protocol."""
    return "file:" + str(Path(path).resolve())
