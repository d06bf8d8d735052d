"""The program as one video: ``NAME.program.mp4``, switched between the angles, with the
microphones mixed (or the room's camera audio when there are none).

The program is split into a few runs of consecutive shots. Each run is one ffmpeg: every shot
an input of its own, seeked to where it starts (so only what is shown is decoded), brought to
the program's size (letterboxed when an angle's shape differs) and frame rate, cut to its
exact frame count and joined. Runs encode side by side, as does the sound (each file delayed
or seeked to its synced place, mixed), and the pieces are then joined without re-encoding.
"""

from __future__ import annotations

import math
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from tqdm import tqdm

from facetrack_otio.errors import ToolError
from facetrack_otio.fsutil import atomic_path
from facetrack_otio.machine import cores
from facetrack_otio.media.probe import require_tool
from facetrack_otio.multicam.placement import frames, mic_placement
from facetrack_otio.multicam.result import MulticamAnalysis
from facetrack_otio.multicam.shoot import ANGLE, ShootFile
from facetrack_otio.render.encoders import resolve_encoder, video_codec_args
from facetrack_otio.render.ffmpeg import file_url, seconds_arg
from facetrack_otio.render.settings import RenderSettings

# Shots per ffmpeg: each is an input with its own decoder, which costs memory.
_SHOTS_PER_RUN = 40
# The program's sound is mixed at this rate.
_MIX_RATE = 48000


@dataclass(frozen=True)
class Shot:
    """One shot to render: ``n`` program frames of ``file`` from ``seek`` seconds into it."""

    file: ShootFile
    seek: float
    n: int


def program_size(analysis: MulticamAnalysis) -> tuple[int, int]:
    """The program's frame size: the first angle's, made even."""
    v = analysis.angles[0].video
    return v.width // 2 * 2, v.height // 2 * 2


def program_sounds(analysis: MulticamAnalysis) -> list[ShootFile]:
    """What the program sounds like: every microphone, else the room's camera."""
    sounds = analysis.mics or [f for f in analysis.angles if f.label == analysis.room]
    return [f for f in sounds if f.info.has_audio]


def program_shots(analysis: MulticamAnalysis) -> list[Shot]:
    """The program as shots on its frame grid (holes, where no angle rolls, are left out)."""
    fps = analysis.fps
    angles = analysis.angles
    out = []
    for seg in analysis.program:
        f0, f1 = frames(seg.start, fps), frames(seg.end, fps)
        if f1 > f0:
            f = angles[seg.angle]
            out.append(Shot(f, max(0.0, float(Fraction(f0) / fps) - f.offset), f1 - f0))
    return out


def video_args(
    shots: Sequence[Shot],
    output: Path,
    size: tuple[int, int],
    fps: Fraction,
    settings: RenderSettings,
    encoder: str,
    threads: int,
    ffmpeg: str = "ffmpeg",
    container: str = "mpegts",
) -> list[str]:
    """One ffmpeg that cuts ``shots`` and joins them into ``output`` (video only).

    Parameters
    ----------
    shots : sequence of Shot
        Consecutive shots of the program.
    output : Path
        The file to write.
    size : (int, int)
        Program frame size.
    fps : Fraction
        Program frame rate.
    settings : RenderSettings
        Encoder settings (preset, CRF).
    encoder : str
        ``libx264`` or ``h264_nvenc``.
    threads : int
        Encoder threads.
    ffmpeg : str
        The executable.
    container : str
        ffmpeg's muxer (``mpegts`` joins without re-encoding; ``mp4`` for a whole program).

    Returns
    -------
    list of str
    """
    w, h = size
    rate = f"{fps.numerator}/{fps.denominator}"
    args = [ffmpeg, "-nostdin", "-hide_banner", "-v", "error", "-y"]
    parts = []
    for i, shot in enumerate(shots):
        read = shot.n / float(fps) + 2 / float(fps)
        args += [
            "-ss",
            seconds_arg(shot.seek),
            "-t",
            seconds_arg(read),
            "-i",
            file_url(shot.file.path),
        ]
        parts.append(
            f"[{i}:v:0]scale={w}:{h}:force_original_aspect_ratio=decrease,"
            f"pad={w}:{h}:(ow-iw)/2:(oh-ih)/2,setsar=1,fps={rate},"
            f"tpad=stop_mode=clone:stop={shot.n},trim=end_frame={shot.n},"
            f"setpts=PTS-STARTPTS[v{i}]"
        )
    joined = "".join(f"[v{i}]" for i in range(len(shots)))
    parts.append(f"{joined}concat=n={len(shots)}:v=1:a=0,format=yuv420p[vout]")
    total = sum(s.n for s in shots)
    args += ["-filter_complex", ";".join(parts), "-map", "[vout]"]
    args += [*video_codec_args(encoder, settings.preset, settings.crf, threads), "-r", rate]
    args += ["-frames:v", str(total), "-an", "-f", container, file_url(output)]
    return args


def audio_args(
    sounds: Sequence[ShootFile],
    start: Fraction,
    duration: float,
    output: Path,
    settings: RenderSettings,
    ffmpeg: str = "ffmpeg",
) -> list[str]:
    """One ffmpeg mixing ``sounds`` at their synced places over the program's time.

    Parameters
    ----------
    sounds : sequence of ShootFile
        Microphones (or the room's camera).
    start : Fraction
        The program's start on the shoot clock (its first frame), seconds.
    duration : float
        The program's length, seconds.
    output : Path
        The ``.m4a`` to write (AAC).
    settings : RenderSettings
        ``audio_bitrate`` and, for a camera, ``audio_stream``.
    ffmpeg : str
        The executable.
    """
    args = [ffmpeg, "-nostdin", "-hide_banner", "-v", "error", "-y"]
    parts = []
    for i, f in enumerate(sounds):
        # Placed to the sample as the timeline places it (mic_placement): the skip at the
        # file's rate, the delay in samples of the 48 kHz mix.
        place = mic_placement(f, Fraction(start))
        args += ["-ss", seconds_arg(place.seconds_skip), "-i", file_url(f.path)]
        stream = settings.audio_stream if f.kind == ANGLE else 0
        delay = round(place.seconds_at * _MIX_RATE)
        parts.append(
            f"[{i}:a:{stream}]aresample={_MIX_RATE},aformat=channel_layouts=mono,"
            f"adelay={delay}S:all=1[a{i}]"
        )
    mix = "".join(f"[a{i}]" for i in range(len(sounds)))
    d = seconds_arg(duration)
    # Microphones sum at their own level (each is mostly its wearer); the limiter only keeps
    # two people laughing at once from clipping, its look-ahead compensated (else it puts the
    # sound 5 ms late).
    parts.append(
        f"{mix}amix=inputs={len(sounds)}:normalize=0:duration=longest,"
        f"alimiter=limit=0.97:level=disabled:latency=1,apad=whole_dur={d},atrim=end={d}[aout]"
    )
    args += ["-filter_complex", ";".join(parts), "-map", "[aout]"]
    args += ["-c:a", "aac", "-b:a", settings.audio_bitrate, "-t", d, file_url(output)]
    return args


def program_args(
    shots: Sequence[Shot],
    sounds: Sequence[ShootFile],
    output: Path,
    size: tuple[int, int],
    fps: Fraction,
    start: Fraction,
    settings: RenderSettings,
    encoder: str,
    threads: int,
    ffmpeg: str = "ffmpeg",
) -> list[str]:
    """One ffmpeg that writes the whole program, picture and sound, into an mp4.

    :func:`video_args` and :func:`audio_args` joined in one filter graph (the sound's inputs
    after the shots'): what one ffmpeg cutting the program does, and what
    :func:`render_program` runs where a second run would not find a core of its own.
    """
    video = video_args(shots, output, size, fps, settings, encoder, threads, ffmpeg, "mp4")
    if not sounds:
        return video
    duration = sum(s.n for s in shots) / float(fps)
    audio = audio_args(sounds, start, duration, output, settings, ffmpeg)
    cut = video.index("-filter_complex")
    a_cut = audio.index("-filter_complex")
    # The sound's inputs come after the shots': its input numbers move up by that many.
    n = len(shots)
    graph = audio[a_cut + 1]
    for i in reversed(range(len(sounds))):
        graph = graph.replace(f"[{i}:a:", f"[{i + n}:a:")
    tail = video[video.index("[vout]") + 1 :]
    tail.remove("-an")
    # -t, not -frames:v: a frame count stops the muxer before the AAC encoder's last packets.
    at = tail.index("-frames:v")
    tail[at : at + 2] = ["-t", seconds_arg(duration)]
    return [
        *video[:cut],
        *audio[audio.index("-y") + 1 : a_cut],
        "-filter_complex",
        f"{video[cut + 1]};{graph}",
        "-map",
        "[vout]",
        "-map",
        "[aout]",
        "-c:a",
        "aac",
        "-b:a",
        settings.audio_bitrate,
        *tail[:-1],
        "-movflags",
        "+faststart",
        tail[-1],
    ]


def _runs(shots: Sequence[Shot], n: int) -> list[list[Shot]]:
    """Consecutive shots cut into about ``n`` runs of similar length (at most 40 shots each)."""
    total = sum(s.n for s in shots)
    n = max(n, math.ceil(len(shots) / _SHOTS_PER_RUN))
    target = total / max(1, n)
    runs: list[list[Shot]] = [[]]
    acc = 0
    for s in shots:
        if runs[-1] and (acc >= target * len(runs) or len(runs[-1]) >= _SHOTS_PER_RUN):
            runs.append([])
        runs[-1].append(s)
        acc += s.n
    return [r for r in runs if r]


def _run(args: list[str], bar: tqdm | None = None) -> None:
    """Run ffmpeg; with ``bar``, advance it by the frames ffmpeg reports having written."""
    if bar is not None:
        args = [*args[:1], "-progress", "pipe:1", "-nostats", *args[1:]]
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        written = 0
        assert proc.stdout is not None
        for raw in proc.stdout:
            key, _, value = raw.decode(errors="replace").strip().partition("=")
            if key == "frame" and value.isdigit() and bar is not None:
                bar.update(int(value) - written)
                written = int(value)
        err = proc.stderr.read() if proc.stderr is not None else b""
        code = proc.wait()
    except BaseException:
        proc.kill()
        proc.wait()
        raise
    if code != 0:
        lines = [ln for ln in err.decode(errors="replace").splitlines() if ln.strip()]
        raise ToolError(f"ffmpeg failed while rendering the program: {(lines or ['?'])[-1][:200]}")


def render_program(
    analysis: MulticamAnalysis,
    output: str | Path,
    settings: RenderSettings,
    progress: bool = True,
) -> Path:
    """Render the program cut to ``output`` (mp4, H.264 and AAC, ``+faststart``).

    Runs of shots encoded side by side, two at least and one per 4 cores from 8 cores
    (``settings.jobs`` runs when given), the sound beside them, joined without re-encoding:
    on 2 idle cores that took 11% less time than one ffmpeg doing it all (whose filter graph
    holds x264 back) for the same CPU. A program of one run (``jobs=1``, or a single shot) is
    one ffmpeg for picture and sound.

    Parameters
    ----------
    analysis : MulticamAnalysis
        The shoot and its cut.
    output : str or Path
        The file to write (atomically).
    settings : RenderSettings
        Encoder (``auto`` picks NVENC where it works), preset, CRF, audio bitrate, jobs.
    progress : bool
        Show a progress bar (frames of the program).

    Returns
    -------
    Path

    Raises
    ------
    ToolError
        ffmpeg is missing or fails.
    """
    ffmpeg = require_tool("ffmpeg")
    shots = program_shots(analysis)
    if not shots:
        raise ToolError("the program is empty: nothing to render")
    encoder = resolve_encoder(settings.encoder, ffmpeg)
    size = program_size(analysis)
    fps = analysis.fps
    n_cores = cores()
    runs = _runs(shots, settings.jobs or max(2, n_cores // 4))
    sounds = program_sounds(analysis)
    start = Fraction(frames(analysis.span[0], fps)) / fps
    duration = sum(s.n for s in shots) / float(fps)
    bar = tqdm(total=sum(s.n for s in shots), unit="frame", desc="program", disable=not progress)
    try:
        if len(runs) == 1:
            with atomic_path(output) as tmp:
                args = program_args(
                    shots, sounds, tmp, size, fps, start, settings, encoder, 0, ffmpeg
                )
                _run(args, bar)
            return Path(output)
        return _render_runs(
            runs, sounds, Path(output), size, fps, start, duration, settings, encoder, bar
        )
    finally:
        bar.close()


def _render_runs(
    runs: Sequence[Sequence[Shot]],
    sounds: Sequence[ShootFile],
    output: Path,
    size: tuple[int, int],
    fps: Fraction,
    start: Fraction,
    duration: float,
    settings: RenderSettings,
    encoder: str,
    bar: tqdm,
) -> Path:
    """Runs of shots encoded side by side with the sound, then joined without re-encoding."""
    ffmpeg = require_tool("ffmpeg")
    threads = max(2, -(-cores() // len(runs)))
    folder = Path(tempfile.mkdtemp(prefix="facetrack-program-"))
    try:
        pieces = [folder / f"run{i:04d}.ts" for i in range(len(runs))]
        tasks = [
            (video_args(run, piece, size, fps, settings, encoder, threads, ffmpeg), bar)
            for run, piece in zip(runs, pieces)
        ]
        sound = folder / "sound.m4a"
        if sounds:
            tasks.append((audio_args(sounds, start, duration, sound, settings, ffmpeg), None))
        with ThreadPoolExecutor(len(tasks)) as pool:
            list(pool.map(lambda task: _run(*task), tasks))
        listing = folder / "pieces.txt"
        listing.write_text("".join(f"file '{p.as_posix()}'\n" for p in pieces), encoding="utf-8")
        with atomic_path(output) as tmp:
            args = [ffmpeg, "-nostdin", "-hide_banner", "-v", "error", "-y"]
            args += ["-f", "concat", "-safe", "0", "-i", file_url(listing)]
            if sounds:
                args += ["-i", file_url(sound), "-map", "0:v:0", "-map", "1:a:0"]
            args += ["-c", "copy", "-map_metadata", "-1", "-movflags", "+faststart"]
            args += ["-f", "mp4", file_url(tmp)]
            _run(args)
        return output
    finally:
        shutil.rmtree(folder, ignore_errors=True)
