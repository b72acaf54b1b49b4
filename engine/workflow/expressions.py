"""Translation of a small, safe subset of JUEL (Camunda `${...}`) and FEEL (DMN) to Python expressions.

Both dialects share one tokenizer and one recursive-descent parser; the dialect decides which operator
spellings exist. Every binary operation is emitted fully parenthesised, so the Python result keeps the
source's precedence. Anything outside the subset (function and method calls, indexing, ternaries,
lambdas, names starting with `_`) raises `ExpressionError` with a message meant for the modeller.
"""

from __future__ import annotations

import keyword
import re
from dataclasses import dataclass, field

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<num>\d+(?:\.\d+)?(?![\w.]\d))
      | (?P<str>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
      | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
      | (?P<op>\.\.|&&|\|\||==|!=|<=|>=|[<>=!+\-*/%(),.\[\]?:])
    )""",
    re.VERBOSE,
)


class ExpressionError(ValueError):
    """The expression is outside the supported subset; the message says why."""


@dataclass(frozen=True)
class Token:
    kind: str  # "num" | "str" | "name" | "op" | "end"
    text: str


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    pos = 0
    stripped = text.rstrip()
    while pos < len(stripped):
        match = _TOKEN.match(stripped, pos)
        if match is None or match.end() == pos:
            raise ExpressionError(f"unexpected character {stripped[pos:].lstrip()[:1]!r}")
        kind = match.lastgroup or "op"
        tokens.append(Token(kind, match.group(kind)))
        pos = match.end()
    tokens.append(Token("end", ""))
    return tokens


def _string_literal(raw: str) -> str:
    body = raw[1:-1]
    value = re.sub(r"\\(.)", lambda m: {"n": "\n", "t": "\t"}.get(m.group(1), m.group(1)), body)
    return repr(value)


@dataclass(frozen=True)
class Dialect:
    name: str
    or_ops: frozenset[str]
    and_ops: frozenset[str]
    eq_ops: dict[str, str]
    rel_ops: dict[str, str]
    add_ops: frozenset[str] = frozenset({"+", "-"})
    mul_ops: dict[str, str] = field(default_factory=lambda: {"*": "*", "/": "/"})
    not_ops: frozenset[str] = frozenset()
    empty_op: bool = False
    not_function: bool = False


_REL = {"<": "<", ">": ">", "<=": "<=", ">=": ">="}
JUEL = Dialect(
    name="JUEL",
    or_ops=frozenset({"||", "or"}),
    and_ops=frozenset({"&&", "and"}),
    eq_ops={"==": "==", "!=": "!=", "eq": "==", "ne": "!="},
    rel_ops={**_REL, "lt": "<", "gt": ">", "le": "<=", "ge": ">="},
    mul_ops={"*": "*", "/": "/", "div": "/", "%": "%", "mod": "%"},
    not_ops=frozenset({"!", "not"}),
    empty_op=True,
)
FEEL = Dialect(
    name="FEEL",
    or_ops=frozenset({"or"}),
    and_ops=frozenset({"and"}),
    eq_ops={"=": "==", "==": "==", "!=": "!="},
    rel_ops=dict(_REL),
    not_function=True,
)
_LITERALS = {"true": "True", "false": "False", "null": "None"}


class ExpressionParser:
    """Recursive-descent parser emitting Python source for one dialect."""

    def __init__(self, text: str, dialect: Dialect) -> None:
        self.tokens = tokenize(text)
        self.pos = 0
        self.dialect = dialect

    # -- token helpers
    @property
    def current(self) -> Token:
        return self.tokens[self.pos]

    def accept(self, *texts: str) -> str | None:
        token = self.current
        if token.kind in ("op", "name") and token.text in texts:
            self.pos += 1
            return token.text
        return None

    def expect(self, text: str) -> None:
        if self.accept(text) is None:
            raise ExpressionError(f"expected {text!r} but found {self.current.text or 'end of expression'!r}")

    def at_end(self) -> bool:
        return self.current.kind == "end"

    # -- grammar
    def parse_all(self) -> str:
        result = self.expression()
        if not self.at_end():
            raise ExpressionError(f"unsupported syntax at {self.current.text!r}")
        return result

    def expression(self) -> str:
        return self._binary(0)

    def _levels(self) -> list[dict[str, str]]:
        d = self.dialect
        return [
            {op: "or" for op in d.or_ops},
            {op: "and" for op in d.and_ops},
            d.eq_ops,
            d.rel_ops,
            {op: op for op in d.add_ops},
            d.mul_ops,
        ]

    def _binary(self, level: int) -> str:
        levels = self._levels()
        if level == len(levels):
            return self.unary()
        ops = levels[level]
        left = self._binary(level + 1)
        while (op := self.accept(*ops)) is not None:
            right = self._binary(level + 1)
            left = f"({left} {ops[op]} {right})"
        return left

    def unary(self) -> str:
        if self.accept(*self.dialect.not_ops):
            return f"(not {self.unary()})"
        if self.dialect.empty_op and self.accept("empty"):
            return f"(not {self.unary()})"
        if self.accept("-"):
            return f"(-{self.unary()})"
        return self.primary()

    def primary(self) -> str:
        token = self.current
        if token.kind == "num":
            self.pos += 1
            return token.text
        if token.kind == "str":
            self.pos += 1
            return _string_literal(token.text)
        if self.accept("("):
            inner = self.expression()
            self.expect(")")
            return f"({inner})"
        if token.kind == "name":
            return self.name()
        raise ExpressionError(f"unsupported syntax at {token.text or 'end of expression'!r}")

    def name(self) -> str:
        text = self.current.text
        self.pos += 1
        if text in _LITERALS:
            return _LITERALS[text]
        if self.dialect.not_function and text == "not" and self.accept("("):
            inner = self.expression()
            self.expect(")")
            return f"(not {inner})"
        _check_name(text)
        result, shown = text, text
        while self.accept("."):
            attribute = self.current
            if attribute.kind != "name":
                raise ExpressionError(f"expected a property name after '.' in {text!r}")
            self.pos += 1
            _check_name(attribute.text)
            result, shown = f"{result}[{attribute.text!r}]", f"{shown}.{attribute.text}"
        if self.current.text == "(" and self.current.kind == "op":
            raise ExpressionError(f"function and method calls are not supported ({shown}(...))")
        if self.current.text == "[" and self.current.kind == "op":
            raise ExpressionError(f"indexing is not supported ({shown}[...])")
        return result


def _check_name(name: str) -> None:
    if name.startswith("_"):
        raise ExpressionError(f"names starting with '_' are not allowed ({name})")
    if keyword.iskeyword(name) or keyword.issoftkeyword(name):
        raise ExpressionError(f"{name!r} is a reserved word")


_JUEL_WRAPPED = re.compile(r"^\s*[$#]\{(?P<body>.*)\}\s*$", re.DOTALL)


def is_juel(text: str) -> bool:
    """True if `text` contains a JUEL `${...}` / `#{...}` expression."""
    return "${" in text or "#{" in text


def juel_to_python(text: str) -> str:
    """Translate one whole `${...}` JUEL expression to Python; raises ExpressionError."""
    match = _JUEL_WRAPPED.match(text)
    if match is None or is_juel(match.group("body")):
        raise ExpressionError("only a single ${...} expression is supported, not text mixed with expressions")
    return ExpressionParser(match.group("body"), JUEL).parse_all()


def feel_to_python(text: str) -> str:
    """Translate a simple FEEL expression (literals, names, arithmetic, comparisons, and/or/not)."""
    return ExpressionParser(text, FEEL).parse_all()
