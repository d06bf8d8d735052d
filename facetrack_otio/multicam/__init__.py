"""``facetrack multicam``: a shoot of several cameras and microphones, synced by their sound,
its people joined across angles, and a program cut to whoever speaks.

Stages: :mod:`~facetrack_otio.multicam.shoot` (the files, synced by
:mod:`~facetrack_otio.multicam.sync`), :mod:`~facetrack_otio.multicam.people` (faces of every
angle on one clock), :mod:`~facetrack_otio.multicam.mics` (who speaks, by microphone),
:mod:`~facetrack_otio.multicam.program` (the cut), :mod:`~facetrack_otio.multicam.analysis`
(all of it in order), :mod:`~facetrack_otio.multicam.timeline` (the OTIO timeline) and
:mod:`~facetrack_otio.multicam.render` (the program as one video).
"""
