"""OpenTimelineIO plugin entry point (``opentimelineio.plugins`` in pyproject.toml).

OTIO calls :func:`plugin_manifest`. The manifest is one file inside the package,
``facetrack_otio/adapters/plugin_manifest.json``, found through :mod:`importlib.resources`
(``OTIO_PLUGIN_MANIFEST_PATH`` can point at the same file in a checkout); its adapter paths are
relative to it, and made absolute here, since OTIO would otherwise resolve them against this
module's folder.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import opentimelineio as otio

MANIFEST = Path(str(resources.files("facetrack_otio.adapters").joinpath("plugin_manifest.json")))


def load_manifest(path: str | Path = MANIFEST) -> otio.plugins.Manifest:
    """The facetrack manifest with absolute adapter paths.

    Parameters
    ----------
    path : str or Path
        The manifest file; adapter paths are relative to its folder.

    Returns
    -------
    opentimelineio.plugins.Manifest
    """
    path = Path(path)
    manifest = otio.plugins.manifest.manifest_from_file(str(path))
    for adapter in manifest.adapters:
        adapter.filepath = str((path.parent / adapter.filepath).resolve())
    return manifest


def plugin_manifest() -> otio.plugins.Manifest:
    """The facetrack adapter manifest, with absolute adapter paths (called by OTIO).

    Returns
    -------
    opentimelineio.plugins.Manifest
    """
    return load_manifest()
