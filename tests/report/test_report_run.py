"""The report of a real run: files, self-containment, rebuild without models, a browser."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import opentimelineio as otio
import pytest
from PIL import Image

from facetrack_otio.timeline.meta import facetrack_md
from tests.report.demo import DemoRun, facetrack

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _timeline_md(outdir: Path) -> dict:
    return facetrack_md(otio.adapters.read_from_file(str(outdir / "two_shot.otio")))


def _speakers(outdir: Path) -> list[dict]:
    return [p for p in _timeline_md(outdir)["people"]]


def test_run_writes_report_and_thumbnails(demo: DemoRun) -> None:
    for name in ("report.html", "report.png", "two_shot.otio"):
        assert (demo.outdir / name).is_file(), name
    people = [p for p in _speakers(demo.outdir) if p["id"] > 0]
    assert len(people) == 2
    for p in people:
        # The timeline's metadata points at the thumbnail, relative to the output folder.
        assert p["thumbnail"] == f"thumbs/speaker-{p['id']}.jpg"
        with Image.open(demo.outdir / p["thumbnail"]) as im:
            assert im.format == "JPEG"
            assert im.size == (160, 160)
            # A face, not a flat frame: real detail in the crop.
            assert np.asarray(im.convert("L")).std() > 10
    with Image.open(demo.outdir / "report.png") as im:
        assert im.format == "PNG"
        assert im.width >= 800


def test_demo_says_where_files_are(demo: DemoRun) -> None:
    assert "facetrack-demo" in demo.stdout
    assert "report.html" in demo.stdout
    assert "two_shot.fcpxml" in demo.stdout and "Premiere" in demo.stdout


def test_settings_file_reaches_the_run(demo: DemoRun) -> None:
    from tests.report.demo import DEMO_CRF

    render = _timeline_md(demo.outdir)["settings"]["render"]
    assert render["crf"] == DEMO_CRF
    assert render["preset"] == "ultrafast"


def test_report_is_self_contained(demo: DemoRun) -> None:
    html = (demo.outdir / "report.html").read_text(encoding="utf-8")
    srcs = re.findall(r"""\bsrc\s*=\s*["']([^"']*)""", html)
    assert srcs, "no images in the report"
    assert all(s.startswith("data:image/") for s in srcs), srcs
    hrefs = re.findall(r"""\bhref\s*=\s*["']([^"']*)""", html)
    assert all(h.startswith("#") for h in hrefs), hrefs
    assert not re.search(r"url\((?!#)", html), "CSS loads something"
    assert "@import" not in html and "<link" not in html
    # What the report is for: each person, the turns with timecodes, the run.
    md = _timeline_md(demo.outdir)
    for p in md["people"]:
        assert p["name"] in html
    assert html.count('<g class="lane"') == len(md["people"])
    assert len(re.findall(r"\d\d:\d\d:\d\d:\d\d", html)) >= 2 * len(md["turns"])
    assert "timings" not in md  # the run's timings are in its report, not in the timeline
    for stage in ("faces", "speech", "speakers"):
        assert f"<td>{stage}</td>" in html
    for tool in ("torch", "opencv", "opentimelineio", "ffmpeg"):
        assert tool in html


def test_report_rebuilds_without_models(demo: DemoRun, tmp_path: Path) -> None:
    folder = tmp_path / "out"
    shutil.copytree(demo.outdir, folder)
    before = (folder / "report.html").read_text(encoding="utf-8")
    (folder / "report.html").unlink()
    (folder / "report.png").unlink()
    # In-process, so we can see that no model library was even imported.
    code = (
        "import sys; from facetrack_otio.cli import main; rc = main(['report', sys.argv[1]]); "
        "assert 'torch' not in sys.modules, 'torch imported'; sys.exit(rc)"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code, str(folder)], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stderr
    assert (folder / "report.png").is_file()
    after = (folder / "report.html").read_text(encoding="utf-8")
    # Same page (the run recorded its versions, so nothing depends on when it is rebuilt),
    # but for the run's timings, which the timeline does not keep.
    assert '<table class="timings">' in before and "Not kept in the timeline" in after
    assert _without_timings(after) == _without_timings(before)


def _without_timings(html: str) -> str:
    return re.sub(r"<h3>Time per stage</h3>.*?</div>", "", html, flags=re.S)


def test_report_of_a_folder_without_timeline(tmp_path: Path) -> None:
    proc = facetrack("report", str(tmp_path))
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "no .otio timeline" in proc.stderr


def _chromium() -> Path:
    found = CHROMIUM if CHROMIUM.exists() else None
    if found is None and shutil.which("chromium"):
        found = Path(shutil.which("chromium") or "")
    if found is None:
        if shutil.which("apt-get"):
            pytest.fail("chromium is missing: run scripts/setup.sh (installs it with apt-get)")
        pytest.skip("chromium is missing and apt-get is not available to install it")
    return found


def _browser(args: list[str], profile: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(_chromium()), *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def test_report_in_a_browser(demo: DemoRun, tmp_path: Path) -> None:
    chromium = _chromium()
    assert chromium.exists()
    html = (demo.outdir / "report.html").read_text(encoding="utf-8")
    # A copy with a probe script: after load, write each image's decoded width and the number
    # of chart lanes into the DOM, which --dump-dom then shows.
    probe = (
        "<script>addEventListener('load', () => {"
        "for (const img of document.images) img.setAttribute('data-natural', img.naturalWidth);"
        "document.body.setAttribute('data-lanes',"
        " document.querySelectorAll('svg.chart g.lane').length);});</script>"
    )
    page = tmp_path / "probe.html"
    page.write_text(html.replace("</body>", probe + "</body>"), encoding="utf-8")
    proc = _browser(["--virtual-time-budget=5000", "--dump-dom", page.as_uri()], tmp_path / "p1")
    assert proc.returncode == 0, proc.stderr[-2000:]
    dom = proc.stdout
    images = re.findall(r"<img\b[^>]*>", dom)
    people = [p for p in _speakers(demo.outdir) if p["id"] > 0]
    assert len(images) == len(people)
    for img in images:
        assert 'src="data:image/jpeg;base64,' in img
        width = re.search(r'data-natural="(\d+)"', img)
        assert width and int(width.group(1)) == 160, img[:120] + "..."
    lanes = re.search(r'data-lanes="(\d+)"', dom)
    assert lanes and int(lanes.group(1)) == len(_speakers(demo.outdir))

    shot = tmp_path / "report.png"
    proc = _browser(
        [f"--screenshot={shot}", "--window-size=1280,2000", (demo.outdir / "report.html").as_uri()],
        tmp_path / "p2",
    )
    assert proc.returncode == 0 and shot.is_file(), proc.stderr[-2000:]
    with Image.open(shot) as im:
        assert im.size == (1280, 2000)
        pixels = np.asarray(im.convert("RGB")).reshape(-1, 3).astype(int)
    # The chart's bars in the first two people's colours (blue, orange) were painted.
    for color in ((0x2F, 0x6F, 0xD6), (0xEE, 0x8A, 0x22)):
        near = np.abs(pixels - np.array(color)).sum(axis=1) < 40
        assert near.sum() > 500, color
