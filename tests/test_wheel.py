"""The built wheel is an OTIO plugin: one package, one manifest inside it, adapters that load
from an installed copy, and dependencies pip can satisfy (the models' weights come in one
install step, ``facetrack models --install``)."""

from __future__ import annotations

import configparser
import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
WRITERS = ["facetrack_fcpxml", "facetrack_fcp7", "facetrack_edl"]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # Built from a copy: setuptools writes build/ and *.egg-info beside the sources.
    src = tmp_path_factory.mktemp("src")
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    shutil.copytree(
        ROOT / "facetrack_otio",
        src / "facetrack_otio",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(src), "--no-deps", "--no-build-isolation",
         "-q", "-w", str(out)],
        check=True, capture_output=True,
    )  # fmt: skip
    (built,) = out.glob("facetrack_otio-*.whl")
    return built


def test_the_wheel_holds_one_package_and_one_manifest(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    dist_info = next(n.split("/")[0] for n in names if n.endswith(".dist-info/METADATA"))
    assert {n.split("/")[0] for n in names} == {"facetrack_otio", dist_info}
    assert [n for n in names if n.endswith(".json")] == [
        "facetrack_otio/adapters/plugin_manifest.json"
    ]
    manifest = json.loads(
        zipfile.ZipFile(wheel).read("facetrack_otio/adapters/plugin_manifest.json")
    )
    for adapter in manifest["adapters"]:
        assert f"facetrack_otio/adapters/{adapter['filepath']}" in names
    entry = configparser.ConfigParser()
    entry.read_string(zipfile.ZipFile(wheel).read(f"{dist_info}/entry_points.txt").decode())
    assert entry["opentimelineio.plugins"]["facetrack"] == "facetrack_otio.plugin"
    assert entry["console_scripts"]["facetrack"] == "facetrack_otio.cli:main"
    metadata = zipfile.ZipFile(wheel).read(f"{dist_info}/METADATA").decode()
    required = [
        line.split(":", 1)[1].strip()
        for line in metadata.splitlines()
        if line.startswith("Requires-Dist:")
    ]
    assert any(r.startswith("torch") for r in required)
    # Not dependencies: their pins fight these; `facetrack models --install` brings them.
    assert not [r for r in required if r.startswith(("facenet-pytorch", "resemblyzer"))]


_LOAD = """
import json, opentimelineio as otio, facetrack_otio
writers = %r
found = {a: otio.adapters.from_name(a) for a in ["facetrack", *writers]}
print(json.dumps({
    "package": facetrack_otio.__file__,
    "paths": {name: a.module_abs_path() for name, a in found.items()},
    "reads": found["facetrack"].has_feature("read_from_file"),
    "writes": [found[w].has_feature("write_to_string") for w in writers],
    "mp4": otio.adapters.from_filepath("talk.mp4").name,
    "arguments": list(otio.adapters.from_name("facetrack").plugin_info_map()
                      ["supported features"]["read_from_file"]["args"]),
}))
"""


def test_the_plugin_loads_from_the_installed_wheel(wheel: Path, tmp_path: Path) -> None:
    # Unpacked as pip installs it: the entry point in its dist-info, the manifest found in the
    # package by importlib.resources, each adapter loaded by OTIO from the copy's file.
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    env = {"PYTHONPATH": str(site), "PATH": str(Path(sys.executable).parent)}
    proc = subprocess.run(
        [sys.executable, "-c", _LOAD % (WRITERS,)],
        capture_output=True, text=True, cwd=tmp_path, env=env, check=True,
    )  # fmt: skip
    got = json.loads(proc.stdout)
    assert Path(got["package"]).is_relative_to(site)
    for name, path in got["paths"].items():
        assert Path(path) == site / "facetrack_otio" / "adapters" / f"{name}.py"
    assert got["reads"] and all(got["writes"]) and got["mp4"] == "facetrack"
    assert {"names", "device", "max_fps", "audio_stream"} <= set(got["arguments"])
