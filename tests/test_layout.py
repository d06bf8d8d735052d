"""The tests mirror the package: a module's tests are found where the module is."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TESTS = ROOT / "tests"
PACKAGE = ROOT / "facetrack_otio"


def _package_folders() -> set[str]:
    """The package's folders (``cli``, ``multicam/...``), relative to it, and the folders of
    Python modules beside it at the top of the checkout (``adapters``)."""
    folders = {
        p.parent.relative_to(PACKAGE).as_posix()
        for p in PACKAGE.rglob("__init__.py")
        if p.parent != PACKAGE
    }
    folders |= {
        p.parent.name
        for p in ROOT.glob("*/*.py")
        if p.parent not in (PACKAGE, TESTS) and not p.parent.name.startswith(".")
    }
    return folders


def test_every_test_file_lives_in_the_folder_mirroring_the_package() -> None:
    folders = _package_folders()
    misplaced = []
    for path in sorted(TESTS.rglob("test_*.py")):
        rel = path.relative_to(TESTS)
        folder = rel.parent.as_posix()
        if folder != "." and folder not in folders:
            misplaced.append(f"{rel}: there is no facetrack_otio/{folder}/ for it to mirror")
        elif folder == ".":
            # tests/test_cli_run.py is about cli/: it belongs in tests/cli/ (as test_run.py).
            words = path.stem.removeprefix("test_").split("_")
            heads = ("_".join(words[:n]) for n in range(len(words), 0, -1))
            named = next((head for head in heads if head in folders), None)
            if named is not None:
                misplaced.append(f"{rel}: the tests of {named}/ go in tests/{named}/")
    assert not misplaced, "\n".join(misplaced)


def test_the_layout_check_sees_the_package() -> None:
    # The check above can only fail if it knows the package's folders.
    assert {"cli", "batch", "faces", "multicam", "adapters"} <= _package_folders()
