"""OpenTimelineIO plugin entry point (``opentimelineio.plugins`` in pyproject.toml).

OTIO calls :func:`plugin_manifest`; it reads the project's ``plugin_manifest.json`` (the same
file ``OTIO_PLUGIN_MANIFEST_PATH`` can point at from a checkout) and makes its adapter paths
absolute, since OTIO would otherwise resolve them against this module's folder.

A wheel install carries ``adapters/facetrack.py`` but not the JSON file at the top of the
checkout; the same manifest, held here as :data:`FALLBACK`, stands in for it then.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import opentimelineio as otio

ROOT = Path(__file__).resolve().parent.parent
MANIFEST = ROOT / "plugin_manifest.json"

# Must equal plugin_manifest.json (a test checks that it does).
FALLBACK: dict[str, Any] = {
    "OTIO_SCHEMA": "PluginManifest.1",
    "adapters": [
        {
            "OTIO_SCHEMA": "Adapter.1",
            "name": "facetrack",
            "filepath": "adapters/facetrack.py",
            "suffixes": ["mp4", "mov", "m4v", "mkv", "avi", "webm"],
        },
        # The writers claim no suffix: OTIO takes the first adapter listing a suffix, whether
        # it reads or not, so claiming .fcpxml or .xml would take reading those files away
        # from fcpx_xml and fcp_xml. They are named instead (-O NAME). facetrack_edl reads
        # too (cmx_3600 at the exact NTSC rate), so it takes .edl.
        {
            "OTIO_SCHEMA": "Adapter.1",
            "name": "facetrack_fcpxml",
            "filepath": "adapters/facetrack_fcpxml.py",
            "suffixes": [],
        },
        {
            "OTIO_SCHEMA": "Adapter.1",
            "name": "facetrack_fcp7",
            "filepath": "adapters/facetrack_fcp7.py",
            "suffixes": [],
        },
        {
            "OTIO_SCHEMA": "Adapter.1",
            "name": "facetrack_edl",
            "filepath": "adapters/facetrack_edl.py",
            "suffixes": ["edl"],
        },
        {
            "OTIO_SCHEMA": "Adapter.1",
            "name": "facetrack_mlt",
            "filepath": "adapters/facetrack_mlt.py",
            "suffixes": [],
        },
        {
            "OTIO_SCHEMA": "Adapter.1",
            "name": "facetrack_kdenlive",
            "filepath": "adapters/facetrack_kdenlive.py",
            "suffixes": [],
        },
    ],
    "schemadefs": [],
    "media_linkers": [],
    "hook_scripts": [],
    "hooks": {
        "post_adapter_read": [],
        "post_media_linker": [],
        "pre_adapter_write": [],
        "post_adapter_write": [],
    },
}


def load_manifest(
    path: str | os.PathLike[str] = MANIFEST, root: str | os.PathLike[str] = ROOT
) -> otio.plugins.Manifest:
    """The facetrack manifest with absolute adapter paths.

    Parameters
    ----------
    path : str or os.PathLike
        The manifest file; :data:`FALLBACK` is used when it does not exist.
    root : str or os.PathLike
        The folder the adapter paths are relative to.

    Returns
    -------
    opentimelineio.plugins.Manifest
    """
    path = Path(path)
    if path.is_file():
        manifest = otio.plugins.manifest.manifest_from_file(str(path))
    else:
        manifest = otio.plugins.manifest.manifest_from_string(json.dumps(FALLBACK))
    for adapter in manifest.adapters:
        adapter.filepath = str((Path(root) / adapter.filepath).resolve())
    return manifest


def plugin_manifest() -> otio.plugins.Manifest:
    """The facetrack adapter manifest, with absolute adapter paths (called by OTIO).

    Returns
    -------
    opentimelineio.plugins.Manifest
    """
    return load_manifest()
