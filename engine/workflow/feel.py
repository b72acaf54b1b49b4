"""FEEL unary tests (DMN input entries) translated to Python with Spiff's `?` input placeholder.

Supported: `-` or empty (any value), literals, names and simple arithmetic, comparisons `< <= > >= = !=`
followed by an endpoint, ranges `[a..b]`, `(a..b)`, `]a..b[` with open/closed ends, comma-separated
lists (any of), and `not(...)` around the whole cell. A cell already written in Spiff's Python form
(it contains `?`) is passed through unchanged.
"""

from __future__ import annotations

from engine.workflow.expressions import FEEL, ExpressionError, ExpressionParser

_COMPARISONS = {"<": "<", "<=": "<=", ">": ">", ">=": ">=", "=": "==", "!=": "!="}


class _UnaryTestParser(ExpressionParser):
    def __init__(self, text: str) -> None:
        super().__init__(text, FEEL)

    def endpoint(self) -> str:
        # below comparison level: arithmetic and primaries only
        return self._binary(4)

    def tests(self) -> str:
        items = [self.test()]
        while self.accept(","):
            items.append(self.test())
        return items[0] if len(items) == 1 else "(" + " or ".join(items) + ")"

    def test(self) -> str:
        op = self.accept(*_COMPARISONS)
        if op is not None:
            return f"(? {_COMPARISONS[op]} {self.endpoint()})"
        start = self.pos
        if self.current.text in ("[", "(", "]"):
            try:
                return self.interval()
            except ExpressionError:
                self.pos = start
        return f"(? == {self.expression()})"

    def interval(self) -> str:
        opening = self.accept("[", "(", "]")
        low = self.endpoint()
        self.expect("..")
        high = self.endpoint()
        closing = self.accept("]", ")", "[")
        if closing is None:
            raise ExpressionError("range must end with ']', ')' or '['")
        low_op = "<=" if opening == "[" else "<"
        high_op = "<=" if closing == "]" else "<"
        return f"({low} {low_op} ? {high_op} {high})"


def _is_negated(parser: _UnaryTestParser) -> bool:
    tokens = parser.tokens
    return len(tokens) > 3 and tokens[0].text == "not" and tokens[1].text == "(" and tokens[-2].text == ")"


def unary_tests_to_python(text: str | None) -> str | None:
    """Python for one input-entry cell, or None for "any value"; raises ExpressionError."""
    cell = (text or "").strip()
    if cell in ("", "-"):
        return None
    parser = _UnaryTestParser(cell)
    if any(token.text == "?" and token.kind == "op" for token in parser.tokens):
        return cell
    if _is_negated(parser):
        parser.pos = 2
        inner = parser.tests()
        parser.expect(")")
        result = f"(not {inner})"
    else:
        result = parser.tests()
    if not parser.at_end():
        raise ExpressionError(f"unsupported FEEL syntax at {parser.current.text!r}")
    return result
