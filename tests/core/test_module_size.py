"""Modules stay small enough to read: no Python file of the application is over 900 lines.

Long tables belong in data files (the demo's are in seed/demo/); long modules split by topic.
"""

from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "casework"
MAX_LINES = 900


def test_no_python_file_in_casework_is_over_900_lines():
    sizes = {
        path.relative_to(PACKAGE.parent).as_posix(): len(path.read_bytes().splitlines())
        for path in PACKAGE.rglob("*.py")
    }

    too_long = {name: lines for name, lines in sorted(sizes.items()) if lines > MAX_LINES}

    assert sizes, f"no Python file found under {PACKAGE}"
    assert not too_long, f"over {MAX_LINES} lines, split them: {too_long}"
