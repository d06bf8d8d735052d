"""Media access: probing with ffprobe and decoding frames and audio through ffmpeg pipes."""

from facetrack_otio.media.probe import MediaInfo, probe

__all__ = ["MediaInfo", "probe"]
