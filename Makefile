# facetrack-otio: `make demo` runs the bundled sample, `make test` runs the tests.
# Both install what is missing first (apt ffmpeg, .venv, pinned packages).
.PHONY: setup demo test lint bench clean

setup:
	@bash scripts/setup.sh

demo: setup
	.venv/bin/facetrack run samples/two_shot.mp4 -o facetrack-demo

test: setup
	.venv/bin/ruff check .
	.venv/bin/python -m pytest -q

lint: setup
	.venv/bin/ruff check . && .venv/bin/ruff format --check .

bench: setup
	.venv/bin/python bench/bench_faces.py

clean:
	rm -rf facetrack-demo .pytest_cache
