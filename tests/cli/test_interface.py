"""The everyday interface: --version, settings files, `config --show`, the demo run."""

from __future__ import annotations

from pathlib import Path

import pytest
import tomllib

from facetrack_otio.cli import build_parser, main, parse
from facetrack_otio.cli.common import settings_from_args
from facetrack_otio.config import Settings
from facetrack_otio.errors import InputError
from tests.report.demo import DemoRun, demo_run, facetrack


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> DemoRun:
    return demo_run(tmp_path_factory.mktemp("demo"))


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_version() -> None:
    proc = facetrack("--version")
    assert proc.returncode == 0
    assert proc.stdout.startswith("facetrack ")


def test_config_show_is_toml_of_the_defaults() -> None:
    proc = facetrack("config", "--show")
    assert proc.returncode == 0, proc.stderr
    shown = tomllib.loads(proc.stdout)
    defaults = Settings().to_dict()
    for part in ("faces", "vad", "speakers", "voice", "render"):
        expected = {k: v for k, v in defaults[part].items() if v is not None}
        assert shown[part] == expected
    assert "# default:" not in proc.stdout  # nothing differs


def test_config_show_marks_values_from_a_file(tmp_path: Path) -> None:
    cfg = _write(tmp_path / "f.toml", "reframe_hz = 4\n[faces]\nmax_fps = 8\n[render]\ncrf = 23\n")
    for args in (("--config", str(cfg), "config", "--show"), ("config", "--config", str(cfg))):
        proc = facetrack(*args)
        assert proc.returncode == 0, proc.stderr
        assert "max_fps = 8.0  # default: 12.5" in proc.stdout
        assert "crf = 23  # default: 20" in proc.stdout
        shown = tomllib.loads(proc.stdout)
        assert shown["faces"]["max_fps"] == 8.0 and shown["render"]["crf"] == 23
        assert shown["reframe_hz"] == 4.0


def test_flags_override_the_file(tmp_path: Path) -> None:
    cfg = _write(
        tmp_path / "f.toml",
        '[faces]\nmax_fps = 8\ndevice = "cpu"\n[render]\ncrf = 23\npreset = "fast"\n',
    )
    args = build_parser().parse_args(
        ["--config", str(cfg), "run", "talk.mp4", "-o", "out", "--crf", "18", "--max-side", "480"]
    )
    s = settings_from_args(args)
    assert (s.faces.max_fps, s.faces.device, s.faces.max_side) == (8.0, "cpu", 480)
    assert (s.render.crf, s.render.preset) == (18, "fast")
    # Without flags, the file's values stand.
    args = build_parser().parse_args(["run", "talk.mp4", "-o", "out", "--config", str(cfg)])
    s = settings_from_args(args)
    assert (s.render.crf, s.faces.max_side) == (23, 640)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[faces\nmax_fps = 8\n", "not valid TOML"),
        ("[faces]\nmax_fpz = 8\n", "unknown setting [faces] max_fpz"),
        ("[faces]\nmax_fps = 'fast'\n", "[faces] max_fps: expected a number"),
        ("[render]\ncrf = 99\n", "crf must be in 0..51"),
        ("faces = 3\n", "faces must be a table"),
        ("[faces]\nthresholds = [0.6, 0.7]\n", "expected a list of 3 values"),
    ],
)
def test_bad_settings_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, message: str
) -> None:
    cfg = _write(tmp_path / "bad.toml", text)
    assert main(["--config", str(cfg), "config", "--show"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.count("\n") == 1, err  # one line
    assert err.startswith("facetrack: error: ") and message in err


def test_bad_settings_file_from_the_shell(tmp_path: Path) -> None:
    cfg = _write(tmp_path / "bad.toml", "[render]\ncrf = = 3\n")
    proc = facetrack("--config", str(cfg), "run", "-o", str(tmp_path / "out"))
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "not valid TOML" in proc.stderr
    assert not (tmp_path / "out").exists()


def test_missing_settings_file(tmp_path: Path) -> None:
    args = build_parser().parse_args(["--config", str(tmp_path / "nope.toml"), "run", "-o", "x"])
    with pytest.raises(InputError, match="no such settings file"):
        settings_from_args(args)


def test_run_with_a_video_needs_an_output_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["run", str(tmp_path / "talk.mp4")]) == 2
    err = capsys.readouterr().err
    assert "-o/--output" in err and err.count("\n") == 1


def test_run_without_a_video_runs_the_demo(demo: DemoRun) -> None:
    assert demo.returncode == 0, demo.stderr
    assert (demo.outdir / "two_shot.otio").is_file()
    assert (demo.outdir / "report.html").is_file()
    assert "facetrack-demo" in demo.stdout and "facetrack run VIDEO -o OUTDIR" in demo.stdout


def test_shown_settings_read_back_as_the_same_settings(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = _write(tmp_path / "f.toml", "[faces]\nmax_fps = 8\nthresholds = [0.5, 0.6, 0.7]\n")
    assert main(["--config", str(cfg), "config", "--show"]) == 0
    shown = _write(tmp_path / "shown.toml", capsys.readouterr().out)
    args = build_parser().parse_args(["--config", str(cfg), "run", "-o", "x"])
    again = build_parser().parse_args(["--config", str(shown), "run", "-o", "x"])
    assert settings_from_args(again) == settings_from_args(args)
    assert settings_from_args(args).faces.thresholds == (0.5, 0.6, 0.7)


COMMAND_WORDS = {
    "run": ["talk.mp4", "-o", "out"],
    "batch": ["talk.mp4", "-o", "out"],
    "export": ["t.otio"],
    "name": ["t.otio", "1=A"],
    "render": ["t.otio", "-o", "out"],
    "report": ["out"],
    "config": [],
    "eval": ["h.rttm", "r.rttm"],
}


@pytest.mark.parametrize("command", sorted(COMMAND_WORDS))
def test_global_options_go_before_or_after_the_command(tmp_path: Path, command: str) -> None:
    cfg = _write(tmp_path / "f.toml", "[faces]\nmax_fps = 8\n")
    words = COMMAND_WORDS[command]
    for argv in (
        ["-q", "-v", "--config", str(cfg), command, *words],
        [command, *words, "-q", "-v", "--config", str(cfg)],
        [command, "--quiet", *words, "--verbose"],
        ["-q", command, *words, "--config", str(cfg)],
    ):
        args = build_parser().parse_args(argv)
        assert args.command == command and args.quiet, argv
        assert args.verbose == ("-v" in argv or "--verbose" in argv), argv
        assert getattr(args, "config", None) == (str(cfg) if str(cfg) in argv else None), argv
    # Without them: off.
    args = build_parser().parse_args([command, *words])
    assert not args.quiet and not args.verbose and getattr(args, "config", None) is None


def test_quiet_after_the_command_from_the_shell(tmp_path: Path) -> None:
    cfg = _write(tmp_path / "f.toml", "[faces]\nmax_fps = 8\n")
    proc = facetrack("config", "--show", "-q", "--config", str(cfg))
    assert proc.returncode == 0, proc.stderr
    assert "max_fps = 8.0" in proc.stdout


def test_files_may_follow_the_options() -> None:
    # argparse alone takes only the first run of files; people also put them after options.
    args = parse(
        build_parser(), ["multicam", "wide.mp4", "-o", "out", "a.mp4", "--mic", "X=m.wav", "b.mp4"]
    )
    assert args.files == ["wide.mp4", "a.mp4", "b.mp4"] and args.output == "out"
    args = parse(build_parser(), ["batch", "-o", "out", "day1/", "--no-render", "day2/"])
    assert args.inputs == ["day1/", "day2/"] and args.no_render
    # an unknown option is still refused, and so is a second file where a command takes one
    for words in (
        ["multicam", "a.mp4", "-o", "x", "--bogus", "b.mp4"],
        ["run", "a.mp4", "-o", "x", "b.mp4"],
    ):
        with pytest.raises(InputError, match="unrecognized arguments"):
            parse(build_parser(), words)
