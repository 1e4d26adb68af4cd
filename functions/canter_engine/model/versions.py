"""Whether a new WfSpec body breaks callers of the latest version.

LittleHorse (``WfSpecUtil.hasBreakingChanges``) gives a new major version when
the PUBLIC_VAR variables of any thread change, when the entrypoint's required
variables change, or when what the entrypoint returns changes (returning
something where it returned nothing counts); anything else is a new revision.
"""

from __future__ import annotations

import json

from canter_engine.model import values
from canter_engine.model.spec import (
    PutWfSpecRequest,
    ThreadSpec,
    ThreadVarDef,
    VariableAssignment,
    WfSpec,
)

# A returned value whose type is only known at run time (a node output, a
# JSONPath, an arithmetic expression): still "returns something".
_RUNTIME_TYPED = "RUNTIME"


def has_breaking_changes(new: PutWfSpecRequest | WfSpec, old: WfSpec) -> bool:
    if _public_vars(new) != _public_vars(old):
        return True
    if _required_vars(new) != _required_vars(old):
        return True
    return _output_type(new) != _output_type(old)


def _key(v: ThreadVarDef) -> str:
    """A variable definition compared as LittleHorse compares ThreadVarDefs:
    whole, with ``type`` and ``typeDef`` read as the one type they name."""
    d = v.var_def
    return json.dumps(
        [
            d.name,
            d.type_json if d.var_type == "STRUCT" else d.var_type,
            d.default_value,
            d.masked_value,
            v.required,
            v.searchable,
            list(v.json_indexes),
            v.access_level,
        ],
        sort_keys=True,
    )


def _public_vars(spec: PutWfSpecRequest | WfSpec) -> list[str]:
    found = [
        _key(v)
        for thread in spec.thread_specs.values()
        for v in thread.variable_defs
        if v.access_level == "PUBLIC_VAR"
    ]
    return sorted(found)


def _entrypoint(spec: PutWfSpecRequest | WfSpec) -> ThreadSpec | None:
    return spec.thread_specs.get(spec.entrypoint_thread_name)


def _required_vars(spec: PutWfSpecRequest | WfSpec) -> list[str]:
    entry = _entrypoint(spec)
    if entry is None:
        return []
    return sorted(_key(v) for v in entry.variable_defs if v.required)


def _output_type(spec: PutWfSpecRequest | WfSpec) -> str | None:
    """What the entrypoint's first non-failing EXIT returns: None for nothing."""
    entry = _entrypoint(spec)
    if entry is None:
        return None
    for node in entry.nodes.values():
        if node.exit is not None and node.exit.failure_def is None:
            content = node.exit.return_content
            return None if content is None else _static_type(entry, content)
    return None


def exit_type_problems(spec: PutWfSpecRequest | WfSpec) -> list[str]:
    """EXIT nodes of one thread that disagree on what the thread returns.

    As LittleHorse's ThreadSpecModel validation: every non-failing EXIT of a
    thread returns nothing, or all return the same type (a type known only at
    run time is not compared).
    """
    problems = []
    for name, thread in spec.thread_specs.items():
        returns: set[str | None] = set()
        for node in thread.nodes.values():
            if node.exit is None or node.exit.failure_def is not None:
                continue
            content = node.exit.return_content
            returns.add(None if content is None else _static_type(thread, content))
        if None in returns and len(returns) > 1:
            problems.append(
                f"thread {name!r}: Detected an EXIT node that returns void and another EXIT "
                "node that returns non-void"
            )
        elif len(returns - {None, _RUNTIME_TYPED}) > 1:
            problems.append(
                f"thread {name!r}: Detected that different EXIT nodes returned different "
                "output types!"
            )
    return problems


def _static_type(thread: ThreadSpec, a: VariableAssignment) -> str:
    if a.json_path or a.lh_path is not None:
        return _RUNTIME_TYPED
    if a.variable_name is not None:
        for v in thread.variable_defs:
            if v.var_def.name == a.variable_name:
                return str(v.var_def.var_type)
        return _RUNTIME_TYPED
    if a.literal_value is not None:
        try:
            return values.type_of(values.decode(a.literal_value)) or _RUNTIME_TYPED
        except values.ValueError_:
            return _RUNTIME_TYPED
    if a.format_string is not None:
        return "STR"
    if a.expression is not None and a.expression.comparator is not None:
        return "BOOL"
    return _RUNTIME_TYPED
