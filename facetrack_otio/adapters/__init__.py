"""facetrack's OpenTimelineIO plugin: the adapters OTIO loads by file, listed in the one
``plugin_manifest.json`` beside them (found by :mod:`facetrack_otio.plugin`, the entry point).

- ``facetrack``: a video in, the speaker timeline out (the whole analysis); and a facetrack
  timeline's clips rendered out;
- ``facetrack_fcpxml``, ``facetrack_fcp7``, ``facetrack_edl``: facetrack's editor writers, for
  any timeline (what they share is in :mod:`facetrack_otio.exports.otio_adapter`).

The writers claim no suffix in the manifest: OTIO takes the first adapter listing a suffix,
whether it reads or not, so claiming .fcpxml, .xml or .edl would take reading those files away
from OTIO's fcpx_xml, fcp_xml and cmx_3600. They are named instead (``-O NAME``).

OTIO imports each adapter file as ``opentimelineio.adapters.NAME``: their imports are
absolute. A new adapter is one module here and one entry in the manifest.
"""
