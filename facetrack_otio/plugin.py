"""OpenTimelineIO plugin entry point (``opentimelineio.plugins`` in pyproject.toml).

OTIO calls :func:`plugin_manifest`; it reads the project's ``plugin_manifest.json`` (the same
file ``OTIO_PLUGIN_MANIFEST_PATH`` can point at) and makes its adapter paths absolute, since
OTIO would otherwise resolve them against this module's folder.
"""

from __future__ import annotations

from pathlib import Path

import opentimelineio as otio

MANIFEST = Path(__file__).resolve().parent.parent / "plugin_manifest.json"


def plugin_manifest() -> otio.plugins.Manifest:
    """The facetrack adapter manifest, with absolute adapter paths."""
    manifest = otio.plugins.manifest.manifest_from_file(str(MANIFEST))
    for adapter in manifest.adapters:
        adapter.filepath = str((MANIFEST.parent / adapter.filepath).resolve())
    return manifest
