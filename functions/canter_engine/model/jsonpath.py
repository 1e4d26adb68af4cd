"""JSONPath: the subset LittleHorse users write, parsed here and never executed as code.

A WfSpec is written by whoever may call PutWfSpec, and its paths are
evaluated by the scheduler that serves every WfRun of the stack. So a path
may only select: fields (``$.a``, ``$['a b']``), indexes (``[0]``, ``[-1]``,
``[0,2]``), slices (``[1:3]``, ``[::2]``), wildcards (``.*``, ``[*]``) and
filters that compare values (``[?(@.price < 10 && @.tag == 'x')]``). There are
no regular expressions, functions, scripts or recursive descent; a path that
goes further is refused when the WfSpec is registered (:func:`parse` raises
:class:`JsonPathError`). Evaluation visits at most :data:`MAX_VISITS` values,
so its time is bounded whatever the data.

Reading follows Jayway JsonPath as LittleHorse configures it: a definite path
(fields and single indexes only) gives its value or :data:`MISSING`; any other
path gives the list of what it matched. Writing follows Jayway's ``set``: the
last step may create a field, but a missing step before it is an error
(``Missing property in path $['foo']``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

MAX_PATH_CHARS = 1024
MAX_FILTER_DEPTH = 8
MAX_VISITS = 100_000

MISSING: Any = object()
"""What :func:`get` gives for a definite path that leads nowhere."""


class JsonPathError(ValueError):
    """A path outside the supported subset, or one whose evaluation failed."""


@dataclass(frozen=True, slots=True)
class Field:
    names: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Index:
    indexes: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class Slice:
    start: int | None
    stop: int | None
    step: int | None


@dataclass(frozen=True, slots=True)
class Wildcard:
    pass


@dataclass(frozen=True, slots=True)
class Operand:
    """``@`` followed by fields and indexes, or a literal (``path`` is None)."""

    path: tuple[Field | Index, ...] | None
    literal: Any = None


@dataclass(frozen=True, slots=True)
class Comparison:
    lhs: Operand
    op: str | None
    rhs: Operand | None


@dataclass(frozen=True, slots=True)
class Logical:
    op: str
    terms: tuple[Comparison | Logical, ...]


@dataclass(frozen=True, slots=True)
class Filter:
    condition: Comparison | Logical


Step = Field | Index | Slice | Wildcard | Filter


@dataclass(frozen=True, slots=True)
class Path:
    text: str
    steps: tuple[Step, ...]

    @property
    def definite(self) -> bool:
        """Whether the path names one place (Jayway gives a value, not a list)."""
        return all(
            (isinstance(s, Field) and len(s.names) == 1)
            or (isinstance(s, Index) and len(s.indexes) == 1)
            for s in self.steps
        )


@lru_cache(maxsize=1024)
def parse(text: str) -> Path:
    """The path, or JsonPathError saying where it leaves the supported subset."""
    if not isinstance(text, str) or not text:
        raise JsonPathError("a JSONPath is a non-empty string starting with $")
    if len(text) > MAX_PATH_CHARS:
        raise JsonPathError(f"a JSONPath may have at most {MAX_PATH_CHARS} characters")
    return _Parser(text).path()


def get(value: Any, path: Path) -> Any:
    """What ``path`` selects in ``value``: a value or MISSING if definite, else a list."""
    found = _select(value, path.steps, _Budget())
    if path.definite:
        return found[0] if found else MISSING
    return found


def set_value(value: Any, path: Path, new: Any) -> Any:
    """A copy of ``value`` with ``new`` at every place ``path`` names."""
    if not path.steps:
        raise JsonPathError(f"cannot set the root of the document with {path.text}")
    return _set(value, path.steps, new, "$", _Budget())


# --- parsing -------------------------------------------------------------------

_NAME_STOPS = frozenset(".[]()'\" \t\r\n*?@$=!<>&|,:")
_DIGITS = frozenset("0123456789")
_NUMBER_CHARS = _DIGITS | frozenset(".eE+")
_OPERATORS = ("==", "!=", "<=", ">=", "<", ">")


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def fail(self, why: str) -> JsonPathError:
        return JsonPathError(f"JSONPath {self.text!r} at character {self.pos}: {why}")

    def peek(self, ahead: int = 0) -> str:
        at = self.pos + ahead
        return self.text[at] if at < len(self.text) else ""

    def take(self, expected: str) -> None:
        if not self.text.startswith(expected, self.pos):
            raise self.fail(f"expected {expected!r}")
        self.pos += len(expected)

    def skip_space(self) -> None:
        while self.peek() in (" ", "\t"):
            self.pos += 1

    def path(self) -> Path:
        self.take("$")
        steps: list[Step] = []
        while self.pos < len(self.text):
            steps.append(self.step())
        return Path(self.text, tuple(steps))

    def step(self) -> Step:
        char = self.peek()
        if char == ".":
            self.pos += 1
            if self.peek() == ".":
                raise self.fail("recursive descent (..) is not supported")
            if self.peek() == "*":
                self.pos += 1
                return Wildcard()
            return Field((self.name(),))
        if char == "[":
            self.pos += 1
            self.skip_space()
            step = self.bracket()
            self.skip_space()
            self.take("]")
            return step
        raise self.fail("expected . or [")

    def name(self) -> str:
        start = self.pos
        while self.peek() and self.peek() not in _NAME_STOPS:
            self.pos += 1
        if self.pos == start:
            raise self.fail("expected a field name")
        return self.text[start : self.pos]

    def bracket(self) -> Step:
        char = self.peek()
        if char == "*":
            self.pos += 1
            return Wildcard()
        if char in ("'", '"'):
            names = [self.quoted()]
            while self._comma():
                names.append(self.quoted())
            return Field(tuple(names))
        if char == "?":
            self.pos += 1
            self.skip_space()
            self.take("(")
            condition = self.logical(0)
            self.skip_space()
            self.take(")")
            return Filter(condition)
        if char == ":" or char == "-" or char in _DIGITS:
            return self.indexes()
        raise self.fail("expected *, a quoted name, an index, a slice or a ?() filter")

    def _comma(self) -> bool:
        self.skip_space()
        if self.peek() != ",":
            return False
        self.pos += 1
        self.skip_space()
        return True

    def indexes(self) -> Index | Slice:
        first = self.integer() if self.peek() != ":" else None
        self.skip_space()
        if self.peek() == ":":
            self.pos += 1
            self.skip_space()
            stop = self.integer() if self.peek() not in (":", "]") else None
            step = None
            self.skip_space()
            if self.peek() == ":":
                self.pos += 1
                self.skip_space()
                step = self.integer() if self.peek() != "]" else None
                if step == 0:
                    raise self.fail("a slice step cannot be 0")
            return Slice(first, stop, step)
        assert first is not None
        found = [first]
        while self._comma():
            found.append(self.integer())
        return Index(tuple(found))

    def integer(self) -> int:
        start = self.pos
        if self.peek() == "-":
            self.pos += 1
        while self.peek() in _DIGITS:
            self.pos += 1
        digits = self.text[start : self.pos]
        if digits in ("", "-") or len(digits) > 19:
            raise self.fail("expected an integer index")
        return int(digits)

    def quoted(self) -> str:
        quote = self.peek()
        if quote not in ("'", '"'):
            raise self.fail("expected a quoted string")
        self.pos += 1
        chars: list[str] = []
        while True:
            char = self.peek()
            if char == "":
                raise self.fail("unterminated string")
            self.pos += 1
            if char == quote:
                return "".join(chars)
            if char == "\\":
                escaped = self.peek()
                if escaped not in (quote, "\\"):
                    raise self.fail("only \\' \\\" and \\\\ escapes are supported")
                self.pos += 1
                char = escaped
            chars.append(char)

    # filters: or := and ('||' and)*; and := term ('&&' term)*; term := (or) | comparison

    def logical(self, depth: int) -> Comparison | Logical:
        if depth > MAX_FILTER_DEPTH:
            raise self.fail(f"filters may nest at most {MAX_FILTER_DEPTH} parentheses deep")
        terms = [self.conjunction(depth)]
        while self._operator("||"):
            terms.append(self.conjunction(depth))
        return terms[0] if len(terms) == 1 else Logical("||", tuple(terms))

    def conjunction(self, depth: int) -> Comparison | Logical:
        terms = [self.term(depth)]
        while self._operator("&&"):
            terms.append(self.term(depth))
        return terms[0] if len(terms) == 1 else Logical("&&", tuple(terms))

    def _operator(self, op: str) -> bool:
        self.skip_space()
        if self.text.startswith(op, self.pos):
            self.pos += len(op)
            self.skip_space()
            return True
        return False

    def term(self, depth: int) -> Comparison | Logical:
        self.skip_space()
        if self.peek() == "(":
            self.pos += 1
            inner = self.logical(depth + 1)
            self.skip_space()
            self.take(")")
            return inner
        lhs = self.operand()
        self.skip_space()
        for op in _OPERATORS:
            if self.text.startswith(op, self.pos):
                self.pos += len(op)
                self.skip_space()
                return Comparison(lhs, op, self.operand())
        if lhs.path is None:
            raise self.fail("a filter without a comparator must test a field of @")
        return Comparison(lhs, None, None)

    def operand(self) -> Operand:
        char = self.peek()
        if char == "@":
            self.pos += 1
            steps: list[Field | Index] = []
            while self.peek() in (".", "["):
                if self.peek() == ".":
                    self.pos += 1
                    steps.append(Field((self.name(),)))
                else:
                    self.pos += 1
                    self.skip_space()
                    if self.peek() in ("'", '"'):
                        steps.append(Field((self.quoted(),)))
                    else:
                        steps.append(Index((self.integer(),)))
                    self.skip_space()
                    self.take("]")
            return Operand(tuple(steps))
        if char in ("'", '"'):
            return Operand(None, self.quoted())
        for word, literal in (("true", True), ("false", False), ("null", None)):
            if self.text.startswith(word, self.pos):
                self.pos += len(word)
                return Operand(None, literal)
        return Operand(None, self.number())

    def number(self) -> int | float:
        start = self.pos
        if self.peek() == "-":
            self.pos += 1
        while self.peek() in _NUMBER_CHARS:
            self.pos += 1
        text = self.text[start : self.pos]
        try:
            number: int | float = int(text)
        except ValueError:
            try:
                number = float(text)
            except ValueError:
                raise self.fail(
                    "expected @, a quoted string, a number, true, false or null"
                ) from None
        if isinstance(number, float) and not math.isfinite(number):
            raise self.fail("a number in a filter must be finite")
        return number


# --- evaluation ----------------------------------------------------------------


class _Budget:
    """Counts the values an evaluation visits, so no path runs unbounded."""

    __slots__ = ("left",)

    def __init__(self) -> None:
        self.left = MAX_VISITS

    def spend(self, count: int) -> None:
        self.left -= count
        if self.left < 0:
            raise JsonPathError(f"JSONPath evaluation visited more than {MAX_VISITS} values")


def _children(node: Any, step: Step, budget: _Budget) -> list[Any]:
    """What one step selects below ``node`` (Jayway skips what does not fit)."""
    if isinstance(step, Field):
        if not isinstance(node, dict):
            return []
        return [node[n] for n in step.names if n in node]
    if isinstance(node, list):
        budget.spend(len(node))
        if isinstance(step, Index):
            size = len(node)
            return [node[i] for i in step.indexes if -size <= i < size]
        if isinstance(step, Slice):
            return node[step.start : step.stop : step.step]
        if isinstance(step, Wildcard):
            return list(node)
        return [item for item in node if _holds(item, step.condition, budget)]
    if isinstance(node, dict):
        budget.spend(len(node))
        if isinstance(step, Wildcard):
            return list(node.values())
        if isinstance(step, Filter):
            return [item for item in node.values() if _holds(item, step.condition, budget)]
    return []


def _select(value: Any, steps: tuple[Step, ...], budget: _Budget) -> list[Any]:
    current = [value]
    for step in steps:
        found: list[Any] = []
        for node in current:
            found.extend(_children(node, step, budget))
        budget.spend(len(found) + 1)
        current = found
    return current


def _holds(item: Any, condition: Comparison | Logical, budget: _Budget) -> bool:
    budget.spend(1)
    if isinstance(condition, Logical):
        if condition.op == "&&":
            return all(_holds(item, t, budget) for t in condition.terms)
        return any(_holds(item, t, budget) for t in condition.terms)
    lhs = _operand(item, condition.lhs, budget)
    if condition.op is None or condition.rhs is None:
        return lhs is not MISSING
    rhs = _operand(item, condition.rhs, budget)
    if lhs is MISSING or rhs is MISSING:
        return False
    if condition.op == "==":
        return _same(lhs, rhs)
    if condition.op == "!=":
        return not _same(lhs, rhs)
    if not (_both_numbers(lhs, rhs) or (isinstance(lhs, str) and isinstance(rhs, str))):
        return False
    if condition.op == "<":
        return bool(lhs < rhs)
    if condition.op == "<=":
        return bool(lhs <= rhs)
    if condition.op == ">":
        return bool(lhs > rhs)
    return bool(lhs >= rhs)


def _operand(item: Any, operand: Operand, budget: _Budget) -> Any:
    if operand.path is None:
        return operand.literal
    found = _select(item, operand.path, budget)
    return found[0] if found else MISSING


def _both_numbers(a: Any, b: Any) -> bool:
    return (
        isinstance(a, int | float)
        and isinstance(b, int | float)
        and not isinstance(a, bool)
        and not isinstance(b, bool)
    )


def _same(a: Any, b: Any) -> bool:
    if _both_numbers(a, b):
        return bool(a == b)
    if isinstance(a, bool) != isinstance(b, bool):
        return False
    return bool(a == b)


def _set(node: Any, steps: tuple[Step, ...], new: Any, trail: str, budget: _Budget) -> Any:
    """A copy of ``node`` with ``new`` placed; containers are copied only along the path."""
    step, rest = steps[0], steps[1:]
    budget.spend(1)
    if isinstance(step, Field):
        if not isinstance(node, dict):
            raise JsonPathError(
                f"Expected to find an object with property {_quoted(step.names)} in path "
                f"{trail} but found {_kind(node)}"
            )
        copy = dict(node)
        for name in step.names:
            where = f"{trail}['{name}']"
            if not rest:
                copy[name] = new
            elif name not in node:
                raise JsonPathError(f"Missing property in path {where}")
            else:
                copy[name] = _set(node[name], rest, new, where, budget)
        return copy
    if isinstance(node, list):
        budget.spend(len(node))
        copy_list = list(node)
        for i in _positions(node, step, budget):
            where = f"{trail}[{i}]"
            copy_list[i] = new if not rest else _set(node[i], rest, new, where, budget)
        return copy_list
    if isinstance(node, dict) and isinstance(step, Wildcard | Filter):
        budget.spend(len(node))
        copy = dict(node)
        for key, item in node.items():
            if isinstance(step, Filter) and not _holds(item, step.condition, budget):
                continue
            where = f"{trail}['{key}']"
            copy[key] = new if not rest else _set(item, rest, new, where, budget)
        return copy
    raise JsonPathError(f"Expected to find an array in path {trail} but found {_kind(node)}")


def _positions(node: list[Any], step: Step, budget: _Budget) -> list[int]:
    size = len(node)
    if isinstance(step, Index):
        for i in step.indexes:
            if not -size <= i < size:
                raise JsonPathError(f"Index {i} out of bounds for length {size}")
        return [i % size for i in step.indexes]
    if isinstance(step, Slice):
        return list(range(size))[step.start : step.stop : step.step]
    if isinstance(step, Wildcard):
        return list(range(size))
    assert isinstance(step, Filter)
    return [i for i, item in enumerate(node) if _holds(item, step.condition, budget)]


def _quoted(names: tuple[str, ...]) -> str:
    return ",".join(f"['{n}']" for n in names)


def _kind(node: Any) -> str:
    if node is None:
        return "null"
    if isinstance(node, dict):
        return "an object"
    if isinstance(node, list):
        return "an array"
    return f"'{type(node).__name__}'"
