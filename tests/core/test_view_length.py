"""Views stay thin: parse the request, call one operation, respond — mostly 15 lines of code or
fewer (issue 15, point 4). A ratchet: the number of views over 15 lines may go down, never up.

A view is a function under a route decorator (``@bp.route``, ``.get``, ``.post``, ...) in any
module of the application. Its lines of code are the lines of its body that hold code: not the
``def`` line, nor the decorators, nor the docstring, nor comments or blank lines. When a view
grows, move its business logic and audit rows to the feature's ``operations.py``, and request
parsing or page building to a small, named helper beside it; then lower ``MOST_OVER`` when the
count goes down.
"""

import ast
import io
import re
import statistics
import tokenize
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ROUTE = re.compile(r"^@\w+\.(route|get|post|put|patch|delete)\(", re.MULTILINE)
ROUTE_DECORATOR = re.compile(r"\w+\.(route|get|post|put|patch|delete)\(")
LIMIT = 15
# No view is over LIMIT today.
MOST_OVER = 0
NOT_CODE = {
    tokenize.COMMENT,
    tokenize.NL,
    tokenize.NEWLINE,
    tokenize.INDENT,
    tokenize.DEDENT,
    tokenize.ENDMARKER,
}


def _code_lines(source: str) -> set[int]:
    """The line numbers that hold a token of code (a string spanning lines holds each)."""
    lines: set[int] = set()
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type not in NOT_CODE:
            lines.update(range(token.start[0], token.end[0] + 1))
    return lines


def _is_docstring(statement: ast.stmt) -> bool:
    return (
        isinstance(statement, ast.Expr)
        and isinstance(statement.value, ast.Constant)
        and isinstance(statement.value.value, str)
    )


def view_lengths(source: str, module: str = "<source>") -> dict[str, int]:
    """Each view of ``source`` (``module:name``) and its lines of code."""
    code = _code_lines(source)
    lengths = {}
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        if not any(ROUTE_DECORATOR.match(ast.unparse(d)) for d in node.decorator_list):
            continue
        body = node.body[1:] if _is_docstring(node.body[0]) and len(node.body) > 1 else node.body
        span = range(body[0].lineno, node.end_lineno + 1)
        lengths[f"{module}:{node.name}"] = sum(1 for line in span if line in code)
    return lengths


def all_view_lengths() -> dict[str, int]:
    lengths = {}
    for path in sorted(ROOT.glob("casework/**/*.py")):
        source = path.read_text()
        if ROUTE.search(source):
            lengths.update(view_lengths(source, path.relative_to(ROOT).as_posix()))
    return lengths


def test_the_count_skips_decorators_docstring_comments_and_blank_lines():
    source = '''
@bp.route("/x", methods=["GET", "POST"])
@requires("x.read")
def view(case_id: int):
    """A docstring
    on two lines."""
    # a comment
    case = load(case_id)

    return render(
        case,
        "x.html",
    )


def helper():
    return 1
'''
    assert view_lengths(source) == {"<source>:view": 5}


def test_no_more_views_over_15_lines_than_today():
    lengths = all_view_lengths()
    over = {name: n for name, n in sorted(lengths.items(), key=lambda kv: -kv[1]) if n > LIMIT}

    assert len(lengths) > 150, "the views were not found"
    assert len(over) <= MOST_OVER, (
        f"{len(over)} views over {LIMIT} lines of code (at most {MOST_OVER}); "
        f"median {statistics.median(lengths.values())}. Thin them: {over}"
    )
