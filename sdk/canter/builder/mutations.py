"""Which ``VariableMutation`` makes sense on which variable, and its JSON."""

from __future__ import annotations

from typing import Any

from canter.builder.assignable import Scope, compile_assignment, describe, type_of
from canter.builder.errors import WorkflowDefinitionError
from canter.builder.types import VariableMutationType as Op
from canter.builder.types import VariableType as T
from canter.builder.types import accepts, cast_hint
from canter.builder.variables import WfRunVariable

_NUMERIC_OPS = frozenset({Op.ASSIGN, Op.ADD, Op.SUBTRACT, Op.MULTIPLY, Op.DIVIDE, Op.POW})

_ALLOWED: dict[T, frozenset[Op]] = {
    T.INT: _NUMERIC_OPS,
    T.DOUBLE: _NUMERIC_OPS,
    T.STR: frozenset({Op.ASSIGN, Op.ADD, Op.EXTEND}),
    T.JSON_ARR: frozenset({Op.ASSIGN, Op.ADD, Op.EXTEND, Op.REMOVE_IF_PRESENT, Op.REMOVE_INDEX}),
    T.JSON_OBJ: frozenset({Op.ASSIGN, Op.REMOVE_IF_PRESENT, Op.REMOVE_KEY}),
}

# The type the right-hand side must have, whatever the variable's type.
_RHS_TYPES: dict[Op, frozenset[T]] = {
    Op.SUBTRACT: frozenset({T.INT, T.DOUBLE}),
    Op.MULTIPLY: frozenset({T.INT, T.DOUBLE}),
    Op.DIVIDE: frozenset({T.INT, T.DOUBLE}),
    Op.POW: frozenset({T.INT, T.DOUBLE}),
    Op.REMOVE_INDEX: frozenset({T.INT}),
    Op.REMOVE_KEY: frozenset({T.STR}),
}


def check_mutation(lhs: WfRunVariable, operation: Op, rhs: Any) -> None:
    rhs_type = type_of(rhs)
    allowed_rhs = _RHS_TYPES.get(operation)
    if allowed_rhs is not None and rhs_type is not None and rhs_type not in allowed_rhs:
        raise WorkflowDefinitionError(
            f"{operation.value} needs a {' or '.join(sorted(allowed_rhs))} right-hand side, "
            f"not {describe(rhs)}"
        )
    var_type = lhs.value_type
    if var_type is None:
        return
    if operation not in _ALLOWED.get(var_type, frozenset({Op.ASSIGN})):
        raise WorkflowDefinitionError(
            f"cannot {operation.value} on {describe(lhs)}: {var_type} variables do not support it"
        )
    if operation == Op.ASSIGN and rhs_type is not None and not accepts(var_type, rhs_type):
        raise WorkflowDefinitionError(
            f"cannot assign {describe(rhs)} to {describe(lhs)}{cast_hint(rhs_type, var_type)}"
        )


def compile_mutation(lhs: WfRunVariable, operation: Op, rhs: Any, scope: Scope) -> dict[str, Any]:
    scope.require_visible(lhs)
    if lhs.lh_path:
        # The official SDK 1.3.0 drops the path here and assigns the whole variable.
        raise WorkflowDefinitionError(
            f"cannot {operation.value} {lhs.describe()}: a field of a Struct cannot be assigned "
            "(LittleHorse applies no lhPath to a mutation's left side); assign the whole struct"
        )
    mutation: dict[str, Any] = {"lhsName": lhs.name}
    if lhs.json_path is not None:
        mutation["lhsJsonPath"] = lhs.json_path
    if operation != Op.ASSIGN:
        mutation["operation"] = operation.value
    mutation["rhsAssignment"] = compile_assignment(rhs, scope)
    return mutation
