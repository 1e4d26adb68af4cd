"""Masked values never leave the API in clear, wherever they travelled.

A ``masked()`` variable's value moves: into a task's inputs, out of a task
as its output, into a failure or exception message, through an
ExternalEvent assigned to it. The records mask what they know is masked
(a masked Variable, a masked TaskDef input), but a TaskRun does not know
that the value it was given came from a masked variable. So every response
about a WfRun is scrubbed here by value: whatever equals the current value
of one of its masked variables (or of a masked input of a running task)
becomes ``*****`` — as a whole VariableValue (``{"str": "*****"}``, as
LittleHorse's ``LHConstants.STRING_MASK``), and inside free text.

Free text is scrubbed only of secrets of at least :data:`MIN_TEXT_SECRET`
characters, since masking every "1" of every message would destroy them;
whole values are masked whatever their length. Workers still get the clear
value: this runs on API responses only.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from canter_engine.core import WfRunState
from canter_engine.model import values
from canter_engine.model.spec import WfSpec

STRING_MASK = "*****"
MASK = {"str": STRING_MASK}
MIN_TEXT_SECRET = 3
VALUE_KEYS = frozenset(
    {
        "str",
        "int",
        "double",
        "bool",
        "jsonObj",
        "jsonArr",
        "bytes",
        "wfRunId",
        "utcTimestamp",
        "struct",
    }
)


@dataclass(frozen=True, slots=True)
class Secrets:
    encoded: frozenset[str]
    texts: tuple[str, ...]

    def __bool__(self) -> bool:
        return bool(self.encoded)


NONE = Secrets(frozenset(), ())


def secrets_of(state: WfRunState, spec: WfSpec) -> Secrets:
    """The clear values a response about this WfRun must not show."""
    masked = {
        name: {v.var_def.name for v in thread.variable_defs if v.var_def.is_masked}
        for name, thread in spec.thread_specs.items()
    }
    found: list[Any] = []
    for number, scope in state.variables.items():
        thread = state.threads.get(number)
        names = masked.get(thread.spec_name, set()) if thread is not None else set()
        found.extend(value for name, value in scope.items() if name in names)
        found.extend(masked_fields(scope.values()))
    for task_run in state.task_runs.values():
        found.extend(value for name, value in task_run.inputs if name in task_run.masked_inputs)
    return of_values(found)


def of_values(found: Iterable[Any]) -> Secrets:
    present = [value for value in found if value is not None]
    if not present:
        return NONE
    encoded = frozenset(_canonical(values.encode(value)) for value in present)
    texts = {_text(value) for value in present}
    return Secrets(
        encoded,
        tuple(sorted((t for t in texts if len(t) >= MIN_TEXT_SECRET), key=len, reverse=True)),
    )


def scrub_text(text: str, secrets: Secrets) -> str:
    for secret in secrets.texts:
        text = text.replace(secret, STRING_MASK)
    return text


def scrub(obj: Any, secrets: Secrets) -> Any:
    """``obj`` (response JSON) with every secret masked; unchanged objects are kept."""
    if not secrets:
        return obj
    if isinstance(obj, str):
        return scrub_text(obj, secrets)
    if isinstance(obj, list):
        return [scrub(item, secrets) for item in obj]
    if not isinstance(obj, dict):
        return obj
    if len(obj) == 1 and next(iter(obj)) in VALUE_KEYS and _normalized(obj) in secrets.encoded:
        return dict(MASK)
    scrubbed = {key: scrub(value, secrets) for key, value in obj.items()}
    if _has_masked_flag(obj) and scrubbed["value"] == MASK and obj["value"] != MASK:
        scrubbed["masked"] = True
    return scrubbed


class SpecCache:
    """WfSpec versions by id: immutable once registered, so kept for the process's life."""

    def __init__(self, size: int = 256) -> None:
        self._size = size
        self._specs: OrderedDict[tuple[str, int, int], WfSpec] = OrderedDict()

    def get(self, key: tuple[str, int, int]) -> WfSpec | None:
        spec = self._specs.get(key)
        if spec is not None:
            self._specs.move_to_end(key)
        return spec

    def put(self, key: tuple[str, int, int], spec: WfSpec) -> None:
        self._specs[key] = spec
        while len(self._specs) > self._size:
            self._specs.popitem(last=False)


def has_masked_variables(spec: WfSpec) -> bool:
    """Whether a WfRun of ``spec`` may hold a masked value: a masked variable, or a
    StructDef with a masked field (StructMaskedFieldsTest)."""
    return any(
        v.var_def.is_masked for thread in spec.thread_specs.values() for v in thread.variable_defs
    ) or any(
        (field.get("fieldType") or {}).get("masked")
        for schema in spec.struct_defs.values()
        for field in schema.get("fields", {}).values()
    )


def masked_fields(found: Iterable[Any]) -> Iterable[Any]:
    """The values of the masked fields of the structs among ``found``, nested ones too."""
    for value in found:
        if isinstance(value, values.StructValue):
            yield from (v for name, v in value.fields.items() if name in value.masked)
            yield from masked_fields(value.fields.values())


def _has_masked_flag(obj: dict[str, Any]) -> bool:
    """A VarNameAndVal (TaskRun input) or a Variable: the messages whose ``masked`` says so."""
    if "value" not in obj:
        return False
    ident = obj.get("id")
    return "varName" in obj or (isinstance(ident, dict) and "name" in ident)


def _normalized(raw: dict[str, Any]) -> str:
    """A VariableValue as its value encodes, so ``{"a": 1}`` and ``{"a":1}`` compare equal."""
    try:
        return _canonical(values.encode(values.decode(raw)))
    except ValueError:
        return _canonical(raw)


def _canonical(encoded: dict[str, Any]) -> str:
    return json.dumps(encoded, sort_keys=True, separators=(",", ":"))


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, dict | list):
        return json.dumps(value, separators=(",", ":"))
    return str(value)
