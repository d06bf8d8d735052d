"""``python -m facetrack_otio`` runs the ``facetrack`` command line."""

import sys

from facetrack_otio.cli import main

sys.exit(main())
