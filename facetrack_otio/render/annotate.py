"""A review video: the whole source with face boxes, person names and who speaks drawn on it.

ffmpeg decodes the source onto its nominal frame grid and pipes raw frames here; OpenCV draws
each person's face box (interpolated between keyframes), their name, and a speaking indicator
(a thick box, a filled dot and "speaking"); a strip at the bottom shows who speaks when with a
playhead. A second ffmpeg encodes the frames with the source's audio.
"""

from __future__ import annotations

import os
import subprocess
import threading
from collections.abc import Callable, Mapping, Sequence
from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np

from facetrack_otio.render.encoders import video_codec_args
from facetrack_otio.speakers.turns import (
    OFF_SCREEN_ID,
    Person,
    SpeakerTurn,
    default_name,
    person_order,
)

# BGR colours by person id (cycled); off-screen speech is drawn in white.
_COLOURS = (
    (235, 140, 30),
    (40, 150, 255),
    (200, 80, 190),
    (40, 220, 240),
    (220, 220, 60),
    (170, 110, 255),
    (120, 200, 60),
    (60, 60, 230),
)
_OFF_SCREEN = (240, 240, 240)
# Keyframes further apart than this are not joined: the face was not seen in between.
_MAX_GAP = 0.7


def colour(person_id: int) -> tuple[int, int, int]:
    """The BGR colour a person is drawn in."""
    if person_id == OFF_SCREEN_ID:
        return _OFF_SCREEN
    if person_id < 0:  # a voice never seen: the palette from its far end
        return _COLOURS[-(-person_id % len(_COLOURS))]
    return _COLOURS[(person_id - 1) % len(_COLOURS)]


def boxes_at(keyframes: np.ndarray, times: np.ndarray, max_gap: float = _MAX_GAP) -> np.ndarray:
    """Face boxes at ``times``, interpolated between keyframes.

    Parameters
    ----------
    keyframes : ndarray, shape (K, 5)
        Rows ``[t, x1, y1, x2, y2]`` sorted by ``t``.
    times : ndarray, shape (N,)
        Seconds.
    max_gap : float
        Keyframes further apart are not interpolated across; a time within half of it of the
        first or last keyframe takes that keyframe's box.

    Returns
    -------
    ndarray, shape (N, 4)
        Boxes in the keyframes' units; NaN where the face is not known.
    """
    k = np.asarray(keyframes, float).reshape(-1, 5)
    out = np.full((len(times), 4), np.nan)
    if len(k) == 0:
        return out
    kt = k[:, 0]
    nxt = np.searchsorted(kt, times, side="left")
    p = np.clip(nxt - 1, 0, len(kt) - 1)
    q = np.clip(nxt, 0, len(kt) - 1)
    gap = kt[q] - kt[p]
    frac = np.where(gap > 0, (times - kt[p]) / np.where(gap > 0, gap, 1), 0.0)[:, None]
    inter = k[p, 1:] + frac * (k[q, 1:] - k[p, 1:])
    between = (nxt > 0) & (nxt < len(kt)) & (gap <= max_gap)
    near_prev = (nxt > 0) & (times - kt[p] <= max_gap / 2)
    near_next = (nxt < len(kt)) & (kt[q] - times <= max_gap / 2)
    out[near_next] = k[q[near_next], 1:]
    out[near_prev] = k[p[near_prev], 1:]
    out[between] = inter[between]
    return out


def _ascii(text: str) -> str:
    # OpenCV's Hershey fonts draw ASCII only.
    return text.encode("ascii", "replace").decode()


def _strip(
    width: int,
    height: int,
    turns: Sequence[SpeakerTurn],
    rows: Sequence[int],
    duration: float,
) -> np.ndarray:
    """Who speaks when: one row per person, a bar per turn, over the whole video."""
    img = np.full((height, width, 3), 24, np.uint8)
    if not rows or duration <= 0:
        return img
    row_h = height / len(rows)
    for turn in turns:
        r = rows.index(turn.speaker)
        x0 = int(turn.start / duration * width)
        x1 = max(x0 + 1, int(turn.end / duration * width))
        y0, y1 = int(r * row_h) + 1, int((r + 1) * row_h) - 1
        cv2.rectangle(img, (x0, y0), (x1, max(y0, y1)), colour(turn.speaker), -1)
    return img


class Annotator:
    """Draws boxes, names, speaking indicators and a who-speaks-when strip on frames.

    Parameters
    ----------
    size : (int, int)
        Frame width and height.
    fps : Fraction
        Frame rate: frame ``i`` is at ``i / fps`` seconds.
    n_frames : int
        Frames in the video.
    turns : sequence of SpeakerTurn
        Who speaks when.
    people : mapping of int to Person
        Names by id.
    keyframes : mapping of int to ndarray
        Face boxes ``[t, x1, y1, x2, y2]`` (normalised) per person.
    """

    def __init__(
        self,
        size: tuple[int, int],
        fps: Fraction,
        n_frames: int,
        turns: Sequence[SpeakerTurn],
        people: Mapping[int, Person],
        keyframes: Mapping[int, np.ndarray],
    ) -> None:
        self.w, self.h = size
        self.fps = fps
        times = np.arange(n_frames) / float(fps)
        scale = np.array([self.w, self.h, self.w, self.h], float)
        self.boxes = {pid: boxes_at(k, times) * scale for pid, k in keyframes.items()}
        self.turns = sorted(turns, key=lambda t: t.start)
        self.names = {pid: _ascii(p.name) for pid, p in people.items()}
        ids = {t.speaker for t in turns} | set(keyframes)
        self.rows = sorted(ids, key=person_order)
        for pid in self.rows:
            self.names.setdefault(pid, default_name(pid))
        self.font_scale = max(0.45, self.h / 900)
        self.thick = max(1, round(self.h / 360))
        strip_h = max(6, min(12 * len(self.rows), self.h // 8)) if self.rows else 0
        self.strip = _strip(self.w, strip_h, self.turns, self.rows, n_frames / float(fps))
        self.n_frames = n_frames

    def speakers_at(self, t: float) -> set[int]:
        """Who speaks at ``t`` seconds."""
        return {turn.speaker for turn in self.turns if turn.start <= t < turn.end}

    def draw(self, frame: np.ndarray, index: int) -> np.ndarray:
        """Draw on frame ``index`` (BGR, modified in place) and return it."""
        t = index / float(self.fps)
        speaking = self.speakers_at(t)
        font = cv2.FONT_HERSHEY_SIMPLEX
        for pid, boxes in self.boxes.items():
            if index >= len(boxes) or not np.isfinite(boxes[index]).all():
                continue
            x1, y1, x2, y2 = (round(float(v)) for v in boxes[index])
            c = colour(pid)
            talks = pid in speaking
            cv2.rectangle(frame, (x1, y1), (x2, y2), c, self.thick * (3 if talks else 1))
            label = f"{self.names[pid]} (#{pid})" + ("  speaking" if talks else "")
            (tw, th), base = cv2.getTextSize(label, font, self.font_scale, self.thick)
            pad = 3 + (th if talks else 0)
            ty = max(th + base + 2, y1 - 4)
            cv2.rectangle(frame, (x1, ty - th - base - 2), (x1 + tw + pad + 4, ty + 2), c, -1)
            if talks:
                cv2.circle(
                    frame, (x1 + 2 + th // 2, ty - th // 2), max(2, th // 2), (0, 0, 255), -1
                )
            cv2.putText(
                frame, label, (x1 + pad, ty - base // 2), font, self.font_scale, (0, 0, 0),
                self.thick, cv2.LINE_AA,
            )  # fmt: skip
        who = ", ".join(self.names[p] for p in sorted(speaking)) or "nobody"
        minutes, seconds = divmod(t, 60)
        head = f"{int(minutes):02d}:{seconds:05.2f}  speaking: {who}"
        (tw, th), base = cv2.getTextSize(head, font, self.font_scale, self.thick)
        cv2.rectangle(frame, (0, 0), (tw + 12, th + base + 10), (0, 0, 0), -1)
        cv2.putText(
            frame, head, (6, th + 5), font, self.font_scale, (255, 255, 255), self.thick,
            cv2.LINE_AA,
        )  # fmt: skip
        if len(self.strip):
            sh = len(self.strip)
            frame[self.h - sh :] = self.strip
            x = min(self.w - 1, int(index / max(1, self.n_frames) * self.w))
            cv2.line(frame, (x, self.h - sh), (x, self.h - 1), (255, 255, 255), 2)
        return frame


def review_commands(
    source: str | os.PathLike[str],
    output: str | os.PathLike[str],
    size: tuple[int, int],
    fps: Fraction,
    origin: float,
    n_frames: int,
    codec: Sequence[str],
    audio_stream: int | None,
    audio_bitrate: str,
    ffmpeg: str = "ffmpeg",
) -> tuple[list[str], list[str]]:
    """The decoding and encoding ffmpeg commands of a review video.

    Parameters
    ----------
    source, output : str or os.PathLike
        The source video and the mp4 to write.
    size : (int, int)
        Frame width and height.
    fps : Fraction
        Nominal frame rate; the frames piped are on its grid.
    origin : float
        Seconds from the container's start to the first video frame (the audio is cut there
        so that it starts with the first frame).
    n_frames : int
        Frames to decode.
    codec : sequence of str
        Video encoder options (see :func:`~facetrack_otio.render.encoders.video_codec_args`).
    audio_stream : int or None
        The source's audio stream to include, or None.
    audio_bitrate : str
        AAC bitrate.
    ffmpeg : str
        The ffmpeg executable.

    Returns
    -------
    (list of str, list of str)
        The decoder's and the encoder's arguments.
    """
    w, h = size
    rate = f"{fps.numerator}/{fps.denominator}"
    src = "file:" + str(Path(source).resolve())
    decode = [ffmpeg, "-nostdin", "-hide_banner", "-v", "error", "-i", src, "-map", "0:v:0"]
    decode += ["-vf", f"fps={rate}", "-frames:v", str(n_frames)]
    decode += ["-f", "rawvideo", "-pix_fmt", "bgr24", "-s", f"{w}x{h}", "pipe:1"]
    encode = [ffmpeg, "-nostdin", "-hide_banner", "-v", "error", "-y"]
    encode += ["-f", "rawvideo", "-pix_fmt", "bgr24", "-s", f"{w}x{h}", "-r", rate, "-i", "pipe:0"]
    if audio_stream is not None:
        encode += [
            "-ss",
            f"{origin:.6f}",
            "-i",
            src,
            "-map",
            "0:v:0",
            "-map",
            f"1:a:{audio_stream}",
        ]
        encode += ["-c:a", "aac", "-b:a", audio_bitrate, "-t", f"{float(n_frames / fps):.6f}"]
    encode += [*codec, "-r", rate, "-map_metadata", "-1", "-movflags", "+faststart"]
    encode += ["-f", "mp4", "file:" + str(Path(output).resolve())]
    return decode, encode


def render_review(
    source: str | os.PathLike[str],
    output: str | os.PathLike[str],
    annotator: Annotator,
    origin: float,
    audio_stream: int | None,
    audio_bitrate: str,
    encoder: str,
    preset: str,
    crf: int,
    threads: int = 0,
    ffmpeg: str = "ffmpeg",
    register: Callable[[subprocess.Popen[bytes]], None] | None = None,
    cancelled: threading.Event | None = None,
) -> int:
    """Write the review video; return the number of frames written.

    Parameters
    ----------
    source, output : str or os.PathLike
        The source video and the mp4 to write.
    annotator : Annotator
        What to draw.
    origin : float
        Seconds from the container's start to the first video frame.
    audio_stream : int or None
        The source's audio stream to include, or None.
    audio_bitrate : str
        AAC bitrate.
    encoder, preset, crf, threads
        Video encoder settings.
    ffmpeg : str
        The ffmpeg executable.
    register : callable, optional
        Called with each ffmpeg process started (so that it can be stopped from elsewhere).
    cancelled : threading.Event, optional
        Stops the work between frames when set.

    Returns
    -------
    int

    Raises
    ------
    RuntimeError
        When either ffmpeg fails, with its last message.
    """
    w, h = annotator.w, annotator.h
    decode, encode = review_commands(
        source, output, (w, h), annotator.fps, origin, annotator.n_frames,
        video_codec_args(encoder, preset, crf, threads), audio_stream, audio_bitrate, ffmpeg,
    )  # fmt: skip
    frame_bytes = w * h * 3
    written = 0
    with (
        open(os.devnull, "wb") as null,
        _TempLog() as dec_log,
        _TempLog() as enc_log,
    ):
        dec = subprocess.Popen(
            decode, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=dec_log
        )
        enc = subprocess.Popen(encode, stdin=subprocess.PIPE, stdout=null, stderr=enc_log)
        for proc in (dec, enc):
            if register is not None:
                register(proc)
        assert dec.stdout is not None and enc.stdin is not None
        try:
            while not (cancelled is not None and cancelled.is_set()):
                raw = dec.stdout.read(frame_bytes)
                if len(raw) < frame_bytes:
                    break
                frame = np.frombuffer(raw, np.uint8).reshape(h, w, 3).copy()
                enc.stdin.write(annotator.draw(frame, written).tobytes())
                written += 1
        except BrokenPipeError:
            pass
        finally:
            enc.stdin.close()
            dec.stdout.close()
            dec.wait()
            enc.wait()
        if cancelled is not None and cancelled.is_set():
            raise RuntimeError("cancelled")
        for proc, log in ((enc, enc_log), (dec, dec_log)):
            if proc.returncode not in (0, None) and not (proc is dec and written):
                raise RuntimeError(f"ffmpeg exited with code {proc.returncode}: {log.tail()}")
    if written == 0:
        raise RuntimeError("no frames could be decoded (damaged or truncated file?)")
    return written


class _TempLog:
    """A temporary file for a process's stderr (a pipe could fill and stall it)."""

    def __enter__(self) -> _TempLog:
        import tempfile

        self.file = tempfile.TemporaryFile()
        return self

    def fileno(self) -> int:
        return self.file.fileno()

    def tail(self) -> str:
        self.file.seek(0)
        lines = [ln.strip() for ln in self.file.read().decode(errors="replace").splitlines()]
        lines = [ln for ln in lines if ln]
        return lines[-1][:200] if lines else "no message"

    def __exit__(self, *exc: object) -> None:
        self.file.close()
