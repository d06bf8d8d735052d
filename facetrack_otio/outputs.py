"""The files a run writes into its output folder's sub-folders, and how an earlier run's
are told from the user's own.

``clips/`` holds the rendered clips (names from :mod:`facetrack_otio.render.plan`, plus
``STEM.review.mp4``) and ``thumbs/`` a face per person (``speaker-2.jpg``). A run into a
folder that already holds outputs replaces them: files of these names that it does not
write again are an earlier run's and go; every other file there is kept.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import PurePosixPath

from facetrack_otio.fsutil import fit_name

CLIP_DIR = "clips"
THUMB_DIR = "thumbs"

_LABEL = r"(?:speaker-\d+|off-screen)"
# 0003_speaker-2_00m41s.mp4, 0003-01_speaker-2_00m41s.mp4, speaker-2.mp4, speaker-2_part01.mp4
_CLIP = re.compile(
    rf"^(?:\d{{4,}}(?:-\d+)?_{_LABEL}_\d{{2,}}m\d{{2}}s|{_LABEL}(?:_part\d+)?)\.mp4$"
)
_THUMB = re.compile(rf"^{_LABEL}\.jpg$")


def review_name(stem: str) -> str:
    """File name of the review video of a source named ``stem``: ``STEM.review.mp4``."""
    suffix = ".review.mp4"
    return fit_name(stem, len(suffix) + 24) + suffix


def earlier_outputs(stem: str) -> Callable[[PurePosixPath], bool]:
    """Whether a path, relative to the output folder, names a clip or thumbnail that a run
    of the source named ``stem`` writes (see :func:`facetrack_otio.staging.staging_folder`).

    Parameters
    ----------
    stem : str
        The source file's stem (the review video is named after it).

    Returns
    -------
    callable
        ``earlier(PurePosixPath("clips/0001_speaker-1_00m00s.mp4")) -> True``.
    """
    review = review_name(stem)

    def earlier(rel: PurePosixPath) -> bool:
        if len(rel.parts) != 2:
            return False
        folder, name = rel.parts
        if folder == CLIP_DIR:
            return bool(_CLIP.match(name)) or name == review
        if folder == THUMB_DIR:
            return bool(_THUMB.match(name))
        return False

    return earlier
