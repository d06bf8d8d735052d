"""What the local engine's fork server imports once, for every worker it forks."""

from facetrack_otio.startup import import_pipeline

import_pipeline()

import facetrack_otio.batch.job  # noqa: E402, F401  (the workers' task functions)
