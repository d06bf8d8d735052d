"""Exceptions with a meaning for the command line: each maps to an exit code."""

from __future__ import annotations

# Exit codes, used consistently by the CLI (documented in README and --help).
EXIT_OK = 0
EXIT_INTERNAL = 1
EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130


class FacetrackError(Exception):
    """Base class for errors that the CLI reports as one line."""

    exit_code = EXIT_INTERNAL


class InputError(FacetrackError):
    """The user's input (file, argument, timeline) cannot be used."""

    exit_code = EXIT_BAD_INPUT


class MediaError(InputError):
    """A media file is missing, unreadable, or not a video."""


class ToolError(FacetrackError):
    """An external tool (ffmpeg, ffprobe) failed or is missing."""
