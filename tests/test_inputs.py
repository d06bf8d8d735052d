"""Unusual and broken inputs: each gets a result or one clear error line, never a traceback.

Every input is made here with ffmpeg from a two-second cut of the bundled real clip, once per
session. A bad input exits with 2 and leaves no output folder behind; an unusual one is
analysed like any other.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

import opentimelineio as otio
import pytest

from facetrack_otio.errors import MediaError
from facetrack_otio.exports import export_stem
from facetrack_otio.media.probe import probe
from facetrack_otio.outputs import review_name
from tests.cli import facetrack
from tests.contract import clip_problems, ending, export_problems, refused
from tests.mutations import boxes

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
REAL = SAMPLES / "SadTalker__WDA_AlexandriaOcasioCortez_000.mp4"

Maker = Callable[..., Path]


def ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", *args], check=True)


@pytest.fixture(scope="session")
def media(tmp_path_factory: pytest.TempPathFactory) -> Maker:
    """``media(name, *ffmpeg_args)``: the base clip re-encoded with those arguments, made
    once per session (``media("base")`` is the base clip itself)."""
    folder = tmp_path_factory.mktemp("media")
    base = folder / "base.mp4"
    # Two seconds, H.264 + AAC, index (moov) at the end as ffmpeg writes by default.
    ffmpeg("-i", str(REAL), "-t", "2", "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac",
           str(base))  # fmt: skip
    made: dict[str, Path] = {"base": base}

    def make(name: str, *args: str, source: Path = base) -> Path:
        if name not in made:
            out = folder / name
            try:
                ffmpeg("-i", str(source), *args, str(out))
            except subprocess.CalledProcessError:
                pytest.skip(f"this ffmpeg cannot make {name}")
            made[name] = out
        return made[name]

    return make


def assert_refused(proc: subprocess.CompletedProcess[str], *words: str) -> str:
    """Exit 2 with a single ``facetrack: error:`` line (containing ``words``)."""
    assert proc.returncode == 2, proc.stderr
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("facetrack: error: "), lines[0]
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


def assert_complete(outdir: Path, stem: str) -> None:
    """Every export written, and no staging folder, lock or partial file left."""
    names = {p.name for p in outdir.iterdir()}
    for suffix in (".otio", ".fcpxml", ".xml", ".edl", ".rttm"):
        assert f"{stem}{suffix}" in names, sorted(names)
    hidden = [p for p in outdir.rglob("*") if p.name.startswith(".") or ".part" in p.name]
    assert not hidden, hidden


def speakers(summary: dict) -> list[int]:
    return [p["id"] for p in summary["people"] if p["id"] > 0]


# --------------------------------------------------------------------------- broken files


def test_truncated_mp4_without_its_index_is_refused(media: Maker, tmp_path: Path) -> None:
    # Cut mid-file, an MP4 whose index comes last cannot be located at all.
    data = media("base").read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: len(data) // 2])
    proc = facetrack("run", str(cut), "-o", str(tmp_path / "out"))
    assert_refused(proc, "truncated")
    assert not (tmp_path / "out").exists()


def test_truncated_faststart_mp4_analyses_what_decodes(media: Maker, tmp_path: Path) -> None:
    # With the index first (+faststart), what was written before the cut still decodes.
    whole = media("faststart.mp4", "-c", "copy", "-movflags", "+faststart")
    data = whole.read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: len(data) // 2])
    out = tmp_path / "out"
    proc = facetrack("-q", "run", str(cut), "-o", str(out), "--no-render", "--no-cache", "--json")
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    warning = [ln for ln in proc.stderr.splitlines() if "decodes to" in ln]
    assert len(warning) == 1 and warning[0].startswith("warning: "), proc.stderr
    assert "truncated or damaged" in warning[0]
    summary = json.loads(proc.stdout)
    assert 0 < summary["face_stats"]["frames"] < 25  # 2 s at 12.5 analysis frames/s
    assert_complete(out, "cut")


@pytest.mark.parametrize("suffix", [".m4a", ".mp4", ".wav", ".flac", ".mp3"])
def test_audio_only_file_is_diarized_by_voice(media: Maker, tmp_path: Path, suffix: str) -> None:
    # A podcast: no picture. The timeline, FCPXML, FCP7 XML, RTTM and report are written, on
    # audio tracks at 25 fps; no EDL (it cuts a picture track) and no clips (nothing to show).
    codec = {".m4a": ["-c:a", "copy"], ".mp4": ["-c:a", "copy"], ".mp3": ["-c:a", "libmp3lame"]}
    audio = media(f"audio{suffix}", "-vn", *codec.get(suffix, []))
    out = tmp_path / "out"
    proc = facetrack("run", str(audio), "-o", str(out), "--json")
    assert proc.returncode == 0, proc.stderr
    names = {p.name for p in out.iterdir()}
    assert {f"audio{x}" for x in (".otio", ".fcpxml", ".xml", ".rttm")} <= names, names
    assert "report.html" in names and "audio.edl" not in names and "clips" not in names
    assert not [n for n in names if n.startswith(".")], names
    summary = json.loads(proc.stdout)
    assert summary["source"]["width"] == 0 and summary["voice_encoder"]
    assert [p["id"] for p in summary["people"]] == [1]  # one real voice
    timeline = otio.adapters.read_from_file(str(out / "audio.otio"))
    assert timeline.video_tracks() == [] and len(timeline.audio_tracks()) == 3
    assert timeline.duration().rate == 25


def test_a_file_without_video_or_audio_is_refused(media: Maker, tmp_path: Path) -> None:
    nothing = tmp_path / "subtitles.mkv"
    (tmp_path / "s.srt").write_text("1\n00:00:00,000 --> 00:00:01,000\nhello\n")
    ffmpeg("-i", str(tmp_path / "s.srt"), str(nothing))
    proc = facetrack("run", str(nothing), "-o", str(tmp_path / "out"))
    assert_refused(proc, "no video or audio stream")
    assert not (tmp_path / "out").exists()


# --------------------------------------------------------------------------- unusual video


def test_rotated_phone_clip_is_analysed_upright(media: Maker, tmp_path: Path) -> None:
    # A phone's portrait clip: the picture stored on its side (turned a quarter to the left),
    # with a display matrix that turns it a quarter to the right for display.
    sideways = media(
        "sideways.mp4", "-vf", "crop=288:512,transpose=cclock", "-c:v", "libx264",
        "-preset", "ultrafast", "-c:a", "copy",
    )  # fmt: skip
    phone = tmp_path / "phone.mp4"
    ffmpeg("-i", str(sideways), "-c", "copy", "-metadata:s:v:0", "rotate=-90", str(phone))
    side = subprocess.run(
        ["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_streams", "-of", "json",
         str(phone)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    rotations = [
        d.get("rotation")
        for s in json.loads(side.stdout)["streams"]
        for d in s.get("side_data_list", [])
    ]
    if rotations != [-90]:
        pytest.skip(f"this ffmpeg wrote display rotation {rotations}, not -90")

    info = probe(phone)
    assert (info.width, info.height, info.rotation) == (288, 512, 90)  # as displayed

    out = tmp_path / "out"
    proc = facetrack("-q", "run", str(phone), "-o", str(out), "--json", "--preset", "ultrafast")
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout)
    assert speakers(summary) == [1]  # the face is found only in the upright picture
    assert summary["source"]["width"] == 288 and summary["source"]["height"] == 512
    (clip,) = (out / "clips").glob("*.mp4")
    rendered = probe(clip)
    assert rendered.height > rendered.width  # rendered upright, portrait
    assert_complete(out, "phone")


def test_odd_dimensions(media: Maker, tmp_path: Path) -> None:
    # 4:4:4 lets H.264 hold an odd size; rendered clips must still come out even (4:2:0).
    odd = media(
        "odd.mp4", "-vf", "scale=853:479", "-c:v", "libx264", "-preset", "ultrafast",
        "-pix_fmt", "yuv444p", "-c:a", "copy",
    )  # fmt: skip
    info = probe(odd)
    assert (info.width, info.height) == (853, 479)
    out = tmp_path / "out"
    proc = facetrack("-q", "run", str(odd), "-o", str(out), "--json", "--preset", "ultrafast")
    assert proc.returncode == 0, proc.stderr
    assert speakers(json.loads(proc.stdout)) == [1]
    (clip,) = (out / "clips").glob("*.mp4")
    rendered = probe(clip)
    assert rendered.width % 2 == 0 and rendered.height % 2 == 0
    assert_complete(out, "odd")


@pytest.mark.parametrize(
    "name, args",
    [
        pytest.param(
            "hevc10.mp4",
            ["-c:v", "libx265", "-preset", "ultrafast", "-pix_fmt", "yuv420p10le",
             "-x265-params", "log-level=error"],
            id="hevc-10bit",
        ),
        pytest.param(
            "h264-10bit.mp4",
            ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p10le"],
            id="h264-10bit",
        ),
    ],
)  # fmt: skip
def test_hevc_and_10_bit(media: Maker, tmp_path: Path, name: str, args: list[str]) -> None:
    if "libx265" in args and "libx265" not in _encoders():
        pytest.skip("ffmpeg has no libx265")
    video = media(name, *args, "-c:a", "copy")
    out = tmp_path / "out"
    proc = facetrack("-q", "run", str(video), "-o", str(out), "--json", "--preset", "ultrafast")
    assert proc.returncode == 0, proc.stderr
    assert speakers(json.loads(proc.stdout)) == [1]
    # Clips for editors are 8-bit 4:2:0 H.264, whatever the source.
    (clip,) = (out / "clips").glob("*.mp4")
    fmt = subprocess.run(
        ["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
         "stream=codec_name,pix_fmt", "-of", "csv=p=0", str(clip)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert fmt.stdout.strip() == "h264,yuv420p"
    assert_complete(out, Path(name).stem)


def _encoders() -> str:
    return subprocess.run(
        ["ffmpeg", "-hide_banner", "-encoders"], capture_output=True, text=True, check=False
    ).stdout


def test_one_frame_file(media: Maker, tmp_path: Path) -> None:
    one = media("one.mp4", "-frames:v", "1", "-an", "-c:v", "libx264", "-preset", "ultrafast")
    out = tmp_path / "out"
    proc = facetrack("-q", "run", str(one), "-o", str(out), "--json")
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    assert json.loads(proc.stdout)["turns"] == []
    timeline = otio.adapters.read_from_file(str(out / "one.otio"))
    assert timeline.tracks[0].duration().value == 1  # one frame at 25 fps
    assert_complete(out, "one")


def test_1080p60(media: Maker, tmp_path: Path) -> None:
    hd = media(
        "hd60.mp4", "-vf", "scale=1080:1080,pad=1920:1080:420:0,fps=60", "-c:v", "libx264",
        "-preset", "ultrafast", "-c:a", "copy",
    )  # fmt: skip
    out = tmp_path / "out"
    # Not quiet: the progress bar is drawn (on stderr, with carriage returns).
    proc = facetrack("run", str(hd), "-o", str(out), "--no-render", "--no-cache", "--json")
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout)
    assert speakers(summary) == [1]
    assert summary["source"]["fps"] == "60/1"
    timeline = otio.adapters.read_from_file(str(out / "hd60.otio"))
    assert timeline.tracks[0].duration().rate == 60
    # tqdm knows the total, so the bar shows the time left: "[00:01<00:02, 9.1frame/s]".
    assert re.search(r"\d\d:\d\d<\d\d:\d\d, *[\d.]+ ?(s/)?frame", proc.stderr), proc.stderr
    assert_complete(out, "hd60")


def test_a_rate_without_timecode_writes_every_format_that_holds_it(
    media: Maker, tmp_path: Path
) -> None:
    # Screen and meeting recordings run at 15 fps, which SMPTE timecode (EDL, FCP7 XML) lacks.
    video = media("fps15.mp4", "-r", "15", "-c:v", "libx264", "-preset", "ultrafast",
                  "-c:a", "copy")  # fmt: skip
    out = tmp_path / "out"
    proc = facetrack("-q", "run", str(video), "-o", str(out), "--no-render", "--no-cache")
    assert proc.returncode == 0, proc.stderr
    warning = [ln for ln in proc.stderr.splitlines() if "SMPTE" in ln]
    assert warning == [
        "warning: no FCP7 XML or EDL: SMPTE timecode has no 15 fps "
        "(the .otio and FCPXML hold the timeline)"
    ], proc.stderr
    assert "fps15.xml in Premiere" not in proc.stdout
    names = {p.name for p in out.iterdir()}
    assert {"fps15.otio", "fps15.fcpxml", "fps15.rttm", "report.html"} <= names
    assert not {n for n in names if n.endswith((".edl", ".xml"))}, names
    timeline = otio.adapters.read_from_file(str(out / "fps15.otio"))
    assert timeline.tracks[0].duration().rate == 15
    assert warning[0].removeprefix("warning: ") in timeline.metadata["facetrack"]["warnings"]
    # The report counts 15 frames to the timecode second, as editors do at 15 fps.
    frames = re.findall(r"<td>\d\d:\d\d:\d\d:(\d\d)</td>", (out / "report.html").read_text())
    assert frames and all(int(ff) < 15 for ff in frames), frames
    # Exported again with no format named: the same files; naming EDL is refused outright.
    again = tmp_path / "again"
    proc = facetrack("-q", "export", str(out / "fps15.otio"), "-o", str(again))
    assert proc.returncode == 0, proc.stderr
    assert sorted(p.name for p in again.iterdir()) == [
        "fps15.fcpxml", "fps15.kdenlive", "fps15.mlt", "fps15.otio", "fps15.rttm",
    ]  # fmt: skip
    proc = facetrack("export", str(out / "fps15.otio"), "-f", "edl", "-o", str(tmp_path / "x"))
    assert_refused(proc, "EDL", "15 fps")
    assert not (tmp_path / "x").exists()


def test_variable_frame_timing_keeps_the_nominal_rate() -> None:
    # hard.mp4 (30000/1001 with uneven frame timing) is run end to end in cli/test_run.
    info = probe(SAMPLES / "hard.mp4")
    assert info.variable_frame_rate and info.fps == Fraction(30000, 1001)


def test_millisecond_timestamps_keep_the_nominal_rate(tmp_path: Path) -> None:
    # Remuxed into Matroska (millisecond timestamps), ffprobe announces the same frames as
    # 29.47 fps; the timestamps themselves say 30000/1001 with frames missing.
    for seconds in ("4", "12"):
        mkv = tmp_path / f"hard{seconds}.mkv"
        ffmpeg("-t", seconds, "-i", str(SAMPLES / "hard.mp4"), "-c", "copy", str(mkv))
        info = probe(mkv)
        assert info.fps == Fraction(30000, 1001), seconds
        assert info.variable_frame_rate
    # A regular stream remuxed the same way keeps its rate, and no frames are said missing.
    mkv = tmp_path / "two_shot.mkv"
    ffmpeg("-t", "4", "-i", str(SAMPLES / "two_shot.mp4"), "-c", "copy", str(mkv))
    info = probe(mkv)
    assert info.fps == 25 and not info.variable_frame_rate


# --------------------------------------------------------------------------- paths


def test_spaces_quotes_unicode_and_leading_dashes(media: Maker, tmp_path: Path) -> None:
    folder = tmp_path / 'it\'s a "folder" ü 日本'
    folder.mkdir()
    video = folder / "-talk 'take 2' – ü.mp4"
    shutil.copy(media("base"), video)
    outdir = folder / "-out 'ü' \"x\""
    # A leading dash needs `--output=` (or ./) to be read as a path, as in every CLI.
    proc = facetrack("-q", "run", f"./{video.name}", f"--output={outdir.name}", "--json",
                     "--preset", "ultrafast", cwd=folder)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert speakers(json.loads(proc.stdout)) == [1]
    stem = video.stem
    assert_complete(outdir, stem)
    assert len(list((outdir / "clips").glob("*.mp4"))) == 1
    timeline = otio.adapters.read_from_file(str(outdir / f"{stem}.otio"))
    url = timeline.tracks[0][0].media_reference.target_url
    assert Path(otio.url_utils.filepath_from_url(url)) == video  # relinks to the source
    fcp7 = otio.adapters.read_from_file(str(outdir / f"{stem}.xml"))
    assert len(fcp7.video_tracks()[0]) == len(timeline.tracks[0])
    # A timeline at such a path exports again.
    again = facetrack("export", str(outdir / f"{stem}.otio"), "-f", "edl",
                      "-o", str(tmp_path / "edl out"))  # fmt: skip
    assert again.returncode == 0, again.stderr
    assert (tmp_path / "edl out" / f"{stem}.edl").is_file()


def test_leading_dash_after_double_dash(media: Maker, tmp_path: Path) -> None:
    shutil.copy(media("base"), tmp_path / "-x.mp4")
    proc = facetrack("-q", "run", "-o", "out", "--no-render", "--", "-x.mp4", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert_complete(tmp_path / "out", "-x")


def test_leading_dash_alone_is_a_clear_usage_error(media: Maker, tmp_path: Path) -> None:
    shutil.copy(media("base"), tmp_path / "-x.mp4")
    proc = facetrack("run", "-x.mp4", "-o", "out", cwd=tmp_path)
    assert_refused(proc, "-x.mp4")
    assert not (tmp_path / "out").exists()


# --------------------------------------------------------------------------- output folder


def test_output_folder_under_a_regular_file(media: Maker, tmp_path: Path) -> None:
    blocker = tmp_path / "notes.txt"
    blocker.write_text("mine")
    proc = facetrack("run", str(media("base")), "-o", str(blocker / "out"), "--no-render")
    assert_refused(proc, "cannot write output folder")
    assert blocker.read_text() == "mine"


def test_output_folder_is_a_regular_file(media: Maker, tmp_path: Path) -> None:
    blocker = tmp_path / "out"
    blocker.write_text("mine")
    proc = facetrack("run", str(media("base")), "-o", str(blocker), "--no-render")
    assert_refused(proc, "cannot write output folder")
    assert blocker.read_text() == "mine"


@pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root writes into read-only folders"
)
def test_read_only_output_folder(media: Maker, tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    try:
        proc = facetrack("run", str(media("base")), "-o", str(locked / "out"), "--no-render")
        assert_refused(proc, "cannot write output folder")
        assert not any(locked.iterdir())
    finally:
        locked.chmod(0o755)


# --------------------------------------------------------------------------- damaged MP4 index


def test_an_mp4_cut_inside_its_index_is_refused(media: Maker, tmp_path: Path) -> None:
    # Index (moov) at the end, cut inside it: ffprobe reads what is left without a word,
    # and the audio track, described after the cut, would simply be gone.
    data = media("base").read_bytes()
    (moov,) = [b for b in boxes(data) if b.kind == b"moov"]
    (audio,) = [b for b in boxes(data) if b.kind == b"trak" and b.offset > moov.offset + 400]
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: audio.offset + 100])  # inside the second track's description
    with pytest.raises(MediaError, match="cut short"):
        probe(cut)
    proc = facetrack("run", str(cut), "-o", str(tmp_path / "out"))
    assert not refused(proc, "truncated or incomplete MP4/MOV", "moov atom")
    assert not (tmp_path / "out").exists()


# --------------------------------------------------------------------------- not files


@pytest.mark.parametrize("kind", ["fifo", "device", "loop", "dangling"])
def test_what_is_not_a_file_is_named(tmp_path: Path, kind: str) -> None:
    path = tmp_path / "in.mp4"
    if kind == "fifo":
        os.mkfifo(path)
        words = "a named pipe, not a media file"
    elif kind == "device":
        path = Path("/dev/zero")
        words = "a character device, not a media file"
    elif kind == "loop":
        os.symlink(tmp_path / "other.mp4", path)
        os.symlink(path, tmp_path / "other.mp4")
        words = "a loop of symbolic links"
    else:
        os.symlink(tmp_path / "gone.mp4", path)
        words = "gone.mp4, which does not exist"
    proc = facetrack("run", str(path), "-o", str(tmp_path / "out"), timeout=60)
    assert not refused(proc, words)
    assert not (tmp_path / "out").exists()


# --------------------------------------------------------------------------- stills


@pytest.mark.parametrize("name", ["still.png", "jpeg-bytes.mp4"])
def test_a_still_image_is_a_one_frame_video(media: Maker, tmp_path: Path, name: str) -> None:
    # A PNG, or JPEG bytes under a video's name, hold no duration: one frame is what is there.
    frame = tmp_path / ("frame.png" if name.endswith(".png") else "frame.jpg")
    ffmpeg("-i", str(media("base")), "-frames:v", "1", str(frame))
    still = tmp_path / name
    frame.rename(still)
    info = probe(still)
    assert info.n_frames == 1 and info.duration == pytest.approx(1 / info.fps)
    out = tmp_path / "out"
    proc = facetrack("-q", "run", str(still), "-o", str(out), "--no-render")
    assert not ending(proc, codes=(0,)), proc.stderr
    assert not export_problems(out, still.stem)


# --------------------------------------------------------------------------- odd names


@pytest.fixture(scope="module")
def odd_run(media: Maker, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """One run of a video whose name holds a line break, a byte that is not UTF-8 and an
    apostrophe, naming a person O'Brien; returns the video and the output folder."""
    folder = tmp_path_factory.mktemp("odd")
    video = folder / os.fsdecode(b"take 1\nO'Brien \xff.mp4")
    shutil.copy(media("base"), video)
    out = folder / "out"
    # A process of its own, as from a shell: the name reaches it as bytes that are not UTF-8.
    proc = facetrack("-q", "run", str(video), "-o", str(out), "--names", "1=O'Brien",
                     "--preset", "ultrafast", fresh_process=True)  # fmt: skip
    assert not ending(proc, codes=(0,)), proc.stderr
    return video, out


ODD_STEM = "take 1 O'Brien \ufffd"  # the line break a space, the byte U+FFFD


def test_a_line_break_in_the_name_keeps_every_export_readable(odd_run: tuple) -> None:
    _, out = odd_run
    assert not export_problems(out, ODD_STEM)  # every EDL read back by OTIO's cmx_3600
    for edl in out.glob("*.edl"):
        title = edl.read_text().splitlines()[0]
        assert title.startswith(f"TITLE: {ODD_STEM}"), title
        assert edl.read_text().splitlines()[1].startswith("FCM: ")


def test_a_name_that_is_not_utf8_names_the_timeline_and_relinks(
    odd_run: tuple, tmp_path: Path
) -> None:
    video, out = odd_run
    timeline = otio.adapters.read_from_file(str(out / f"{ODD_STEM}.otio"))
    assert timeline.name == ODD_STEM
    url = timeline.tracks[0][0].media_reference.target_url
    assert Path(otio.url_utils.filepath_from_url(url)).name.endswith(".mp4")
    # `render` finds the source by the exact bytes of its name.
    proc = facetrack("-q", "render", str(out / f"{ODD_STEM}.otio"), "-o", str(tmp_path / "r"),
                     "--preset", "ultrafast")  # fmt: skip
    assert not ending(proc, codes=(0,)), proc.stderr
    assert not clip_problems(tmp_path / "r") and list((tmp_path / "r").glob("*.mp4"))
    assert video.is_file()


def test_an_apostrophe_in_a_persons_name(odd_run: tuple) -> None:
    _, out = odd_run
    timeline = otio.adapters.read_from_file(str(out / f"{ODD_STEM}.otio"))
    assert timeline.tracks[1].name == "O'Brien"
    assert 'name="O\'Brien"' in (out / f"{ODD_STEM}.fcpxml").read_text()
    # Renamed again, with both kinds of quote.
    proc = facetrack("-q", "name", str(out / f"{ODD_STEM}.otio"), '1=Jo "JJ" O\'Neil')
    assert not ending(proc, codes=(0,)), proc.stderr
    assert not export_problems(out, ODD_STEM)
    fcpxml = otio.adapters.read_from_file(str(out / f"{ODD_STEM}.fcpxml"))
    assert 'Jo "JJ" O\'Neil' in [c.name for c in fcpxml.find_clips()]


def test_a_name_of_250_characters(media: Maker, tmp_path: Path) -> None:
    # Exports add ".speaker-1.edl" and temporary names more: the stem is shortened to fit.
    video = tmp_path / ("n" * 246 + ".mp4")
    shutil.copy(media("base"), video)
    out = tmp_path / "out"
    proc = facetrack("-q", "run", str(video), "-o", str(out), "--annotate", "--preset",
                     "ultrafast")  # fmt: skip
    assert not ending(proc, codes=(0,)), proc.stderr
    stem = export_stem(video.stem)
    assert stem == "n" * 223
    assert not export_problems(out, stem)
    assert not clip_problems(out / "clips")
    assert (out / "clips" / review_name(video.stem)).is_file()


# --------------------------------------------------------------------------- arguments


@pytest.mark.parametrize(
    "args, words",
    [
        (["--max-fps", "0"], "--max-fps must be above 0"),
        (["--max-fps", "-1"], "--max-fps must be above 0"),
        (["--max-fps", "nan"], "--max-fps must be a finite number"),
        (["--max-side", "0"], "--max-side must be at least 64"),
        (["--max-side", "-5"], "--max-side must be at least 64"),
        (["--segment", "1e-300"], "--segment must be 0 (no split) or at least 0.5"),
        (["--pad", "inf"], "--pad must be"),
    ],
)
def test_numbers_that_mean_nothing_are_refused(
    media: Maker, tmp_path: Path, args: list[str], words: str
) -> None:
    proc = facetrack("run", str(media("base")), "-o", str(tmp_path / "out"), *args, timeout=60)
    assert not refused(proc, words)
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    "text, words",
    [
        ("[faces]\nmax_fps = -3\n", "[faces] max_fps must be above 0"),
        ("[faces]\nmax_fps = nan\n", "[faces] max_fps must be a finite number"),
        ("[vad]\nnoise_window = inf\n", "[vad] noise_window must be above 0 and at most 3600"),
        ("[speakers]\nmin_turn = nan\n", "[speakers] min_turn must be a finite number"),
        ("[speakers]\nwindow = 0\n", "[speakers] window must be in 0.05..60"),
    ],
)
def test_settings_that_mean_nothing_are_refused(
    media: Maker, tmp_path: Path, text: str, words: str
) -> None:
    config = tmp_path / "s.toml"
    config.write_text(text)
    proc = facetrack("run", str(media("base")), "-o", str(tmp_path / "out"), "--config",
                     str(config), timeout=60)  # fmt: skip
    assert not refused(proc, words)
    assert not (tmp_path / "out").exists()


def test_weights_that_are_not_weights_are_one_line(media: Maker, tmp_path: Path) -> None:
    weights = tmp_path / "w.pt"
    weights.write_text("not weights")
    out = tmp_path / "out"
    proc = facetrack("-q", "run", str(media("base")), "-o", str(out), "--no-render",
                     "--embedder-weights", str(weights))  # fmt: skip
    assert not refused(proc, "w.pt")
    assert not out.exists()
