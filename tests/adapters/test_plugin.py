"""The plugin is found: by the installed entry point, by suffix, and from a checkout."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from importlib.metadata import entry_points
from pathlib import Path

import opentimelineio as otio

from facetrack_otio import plugin
from tests.adapters.conftest import ROOT

ADAPTERS = ROOT / "facetrack_otio" / "adapters"
MANIFEST = ADAPTERS / "plugin_manifest.json"
ADAPTER = ADAPTERS / "facetrack.py"
SUFFIXES = ["mp4", "mov", "m4v", "mkv", "avi", "webm"]
WRITERS = ["facetrack_fcpxml", "facetrack_fcp7", "facetrack_edl", "facetrack_mlt"]
WRITERS += ["facetrack_kdenlive"]
BIN = Path(sys.executable).parent


def _env(**changes: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OTIO_")}
    env.update({k: v for k, v in changes.items() if v is not None})
    return env


def test_manifest_lists_a_reader_and_a_writer_for_videos_and_the_editor_writers() -> None:
    manifest = otio.plugins.manifest.manifest_from_file(str(MANIFEST))
    adapter, *writers = manifest.adapters
    assert adapter.name == "facetrack"
    assert list(adapter.suffixes) == SUFFIXES
    assert Path(adapter.module_abs_path()) == ADAPTER
    assert adapter.has_feature("read_from_file") and adapter.has_feature("write_to_file")
    assert [w.name for w in writers] == WRITERS
    for w in writers:
        assert Path(w.module_abs_path()) == ADAPTERS / f"{w.name}.py"
        assert w.has_feature("write_to_file") and w.has_feature("write_to_string")
        # Found by name, but for the EDL adapter, which reads with cmx_3600 (see
        # test_suffix_lookups_stay_otios).
        reads = w.name == "facetrack_edl"
        assert w.has_feature("read_from_file") == reads
        assert list(w.suffixes) == (["edl"] if reads else [])
    assert not manifest.media_linkers and not manifest.hook_scripts


def test_one_manifest_inside_the_package_is_what_the_entry_point_gives() -> None:
    # The wheel carries the same file (tests/test_wheel.py); the entry point finds it with
    # importlib.resources and makes its adapter paths absolute.
    assert plugin.MANIFEST == MANIFEST
    assert list((ROOT / "facetrack_otio").rglob("*.json")) == [MANIFEST]
    assert not (ROOT / "plugin_manifest.json").exists()
    manifest = plugin.plugin_manifest()
    adapter, *writers = manifest.adapters
    assert (adapter.name, list(adapter.suffixes), Path(adapter.filepath)) == (
        "facetrack",
        SUFFIXES,
        ADAPTER,
    )
    assert [(w.name, Path(w.filepath)) for w in writers] == [
        (name, ADAPTERS / f"{name}.py") for name in WRITERS
    ]


_LOOKUPS = """
import json, opentimelineio as otio
names = ["otio", "edl", "xml", "fcpxml", "mp4"]
print(json.dumps({s: otio.adapters.from_filepath("x." + s).name for s in names}))
"""


def test_suffix_lookups_stay_otios() -> None:
    # OTIO gives a suffix to the first adapter in its manifest order that lists it, reader or
    # not: OTIO_PLUGIN_MANIFEST_PATH first, then entry points, then its built-ins. facetrack
    # comes first both ways, so the writers list no suffix: .fcpxml and .xml files keep being
    # read (and written, by default) by OTIO's own adapters. .edl goes to facetrack_edl, which
    # reads with OTIO's cmx_3600 (at the exact NTSC rate) and writes facetrack's EDL.
    want = {
        "otio": "otio_json",
        "edl": "facetrack_edl",
        "xml": "fcp_xml",
        "fcpxml": "fcpx_xml",
        "mp4": "facetrack",
    }
    checkout = _env(OTIO_PLUGIN_MANIFEST_PATH=str(MANIFEST))
    for env in (_env(), checkout):
        proc = subprocess.run(
            [sys.executable, "-c", _LOOKUPS], capture_output=True, text=True, check=True, env=env
        )
        assert json.loads(proc.stdout) == want


def test_installed_entry_point_registers_the_adapter() -> None:
    (ep,) = [e for e in entry_points(group="opentimelineio.plugins") if e.name == "facetrack"]
    assert ep.value == "facetrack_otio.plugin"
    adapter = otio.plugins.ActiveManifest().from_name("facetrack")
    assert Path(adapter.module_abs_path()) == ADAPTER


def test_videos_are_found_by_suffix() -> None:
    for suffix in SUFFIXES:
        assert otio.adapters.from_filepath(f"talk.{suffix}").name == "facetrack"


def test_otiopluginfo_lists_the_adapter_and_its_arguments() -> None:
    proc = subprocess.run(
        [str(BIN / "otiopluginfo"), "facetrack"],
        capture_output=True,
        text=True,
        check=True,
        env=_env(),
    )
    assert "\n  facetrack\n" in proc.stdout
    assert f"path: {ADAPTER}" in proc.stdout
    for argument in ("names", "device", "max_fps", "audio_stream", "crf", "preset"):
        assert f"'{argument}'" in proc.stdout
    proc = subprocess.run(
        [str(BIN / "otiopluginfo"), "facetrack_edl"],
        capture_output=True,
        text=True,
        check=True,
        env=_env(),
    )
    assert "\n  facetrack_edl\n" in proc.stdout
    assert "'track', 'drop_frame'" in proc.stdout


def test_checkout_manifest_path_without_entry_points(two_turns: Path, tmp_path: Path) -> None:
    probe = "import opentimelineio as otio; print(otio.adapters.from_filepath('x.mp4').name)"
    off = _env(OTIO_DISABLE_ENTRYPOINTS_PLUGINS="1")
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=off)
    assert proc.returncode != 0  # without the entry point nothing claims .mp4 ...

    env = _env(
        OTIO_DISABLE_ENTRYPOINTS_PLUGINS="1",
        OTIO_PLUGIN_MANIFEST_PATH=str(MANIFEST),
    )
    proc = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, env=env
    )
    assert proc.stdout.strip() == "facetrack"  # ... and the checkout's manifest does.
    # The writer, picked by the suffix of -o, with a writer argument.
    out = tmp_path / "clips.mp4"
    proc = subprocess.run(
        [str(BIN / "otioconvert"), "-i", str(two_turns), "-o", str(out), "-A", "preset=ultrafast"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    assert not out.exists()
    assert [p.name for p in sorted((tmp_path / "clips").iterdir())] == [
        "0001_speaker-1_00m00s.mp4",
        "0002_speaker-1_00m02s.mp4",
    ]
