"""Variables of a ThreadSpec: their declaration (``ThreadVarDef``) and handles to them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from canter import structs
from canter.builder.assignable import Scope, check_json_path
from canter.builder.errors import WorkflowDefinitionError
from canter.builder.literals import literal_type, variable_value
from canter.builder.operands import Operand
from canter.builder.types import (
    JSON_TYPES,
    AccessLevel,
    VariableMutationType,
    VariableType,
    accepts,
    parse_enum,
)

if TYPE_CHECKING:
    from canter.builder.thread_core import ThreadCore


def _default_compatible(var_type: VariableType, value: object) -> bool:
    kind = literal_type(value)
    if kind is None:
        return True
    return accepts(var_type, kind) or (
        var_type == VariableType.WF_RUN_ID and kind == VariableType.STR
    )


class VariableDeclaration:
    """What a ``declare_*`` call defines; shared by every handle on the variable.

    A struct variable has no primitive type (``type`` None) but the StructDef
    name and version it holds (-1: the latest when the WfSpec is put).
    """

    def __init__(
        self,
        name: str,
        var_type: VariableType | None,
        thread: ThreadCore,
        struct_def: tuple[str, int] | None = None,
    ) -> None:
        self.name = name
        self.type = var_type
        self.struct_def = struct_def
        self.thread = thread
        self.default: dict[str, Any] | None = None
        self.required = False
        self.searchable = False
        self.masked = False
        self.access_level = AccessLevel.PRIVATE_VAR
        self.json_indexes: list[dict[str, str]] = []

    @property
    def type_name(self) -> str:
        if self.type is not None:
            return str(self.type)
        assert self.struct_def is not None
        return f"Struct<{self.struct_def[0]}>"

    def set_default(self, value: object) -> None:
        if value is None:
            return
        if self.type is None:
            if not structs.is_struct(type(value)):
                raise WorkflowDefinitionError(
                    f"default value {value!r} of variable '{self.name}' is not a "
                    f"{self.type_name}: give an instance of a @canter.struct_def class"
                )
            self.default = {"struct": structs.to_struct(value)}
            return
        if not _default_compatible(self.type, value):
            raise WorkflowDefinitionError(
                f"default value {value!r} of variable '{self.name}' is not a {self.type}"
            )
        self.default = variable_value(value, as_type=self.type)

    def to_json(self) -> dict[str, Any]:
        type_def: dict[str, Any]
        if self.type is not None:
            type_def = {"primitiveType": self.type.value}
        else:
            assert self.struct_def is not None
            name, version = self.struct_def
            type_def = {"structDefId": {"name": name, **({"version": version} if version else {})}}
        if self.masked:
            type_def["masked"] = True
        var_def: dict[str, Any] = {"name": self.name, "typeDef": type_def}
        if self.default is not None:
            var_def["defaultValue"] = self.default
        thread_var_def: dict[str, Any] = {"varDef": var_def}
        if self.json_indexes:
            thread_var_def["jsonIndexes"] = list(self.json_indexes)
        if self.required:
            thread_var_def["required"] = True
        if self.searchable:
            thread_var_def["searchable"] = True
        if self.access_level != AccessLevel.PUBLIC_VAR:
            thread_var_def["accessLevel"] = self.access_level.value
        return thread_var_def


class WfRunVariable(Operand):
    """A handle on a variable, optionally narrowed by a JSONPath or a path of fields
    (``get``: an lhPath, for a Struct's fields or an element).

    The flag methods (``required()``, ``searchable()``, ...) return the handle
    so that they chain on the declaration:
    ``wf.declare_str("email").required().searchable()``.
    """

    def __init__(
        self,
        declaration: VariableDeclaration,
        json_path: str | None = None,
        lh_path: tuple[dict[str, Any], ...] = (),
    ) -> None:
        self.declaration = declaration
        self._json_path: str | None = None
        self.lh_path = lh_path
        if json_path is not None:
            self.json_path = json_path

    @property
    def name(self) -> str:
        return self.declaration.name

    @property
    def type(self) -> VariableType | None:
        """The variable's primitive type; None for a Struct variable."""
        return self.declaration.type

    @property
    def value_type(self) -> VariableType | None:
        return self.declaration.type if self.json_path is None and not self.lh_path else None

    def describe(self) -> str:
        path = f" at {self.json_path}" if self.json_path else ""
        fields = "".join(
            f"[{s['index']}]" if "index" in s else f".get({s['key']!r})" for s in self.lh_path
        )
        return f"{self.declaration.type_name} variable '{self.name}'{fields}{path}"

    def compile_assignment(self, scope: Scope) -> dict[str, Any]:
        scope.require_visible(self)
        assignment: dict[str, Any] = {"variableName": self.name}
        if self.json_path is not None:
            assignment["jsonPath"] = self.json_path
        if self.lh_path:
            assignment["lhPath"] = {"path": list(self.lh_path)}
        return assignment

    def get(self, field: str | int) -> WfRunVariable:
        """A handle on one field of this Struct variable (by name) or one element (by index),
        as the official SDK's ``WfRunVariable.get``; chains: ``person.get("car").get("make")``."""
        if self.json_path is not None:
            raise WorkflowDefinitionError(
                f"cannot use get() on {self.describe()}, which already uses a JSONPath"
            )
        if isinstance(field, bool) or not isinstance(field, str | int):
            raise WorkflowDefinitionError(f"get() takes a field name or an index, not {field!r}")
        selector = {"key": field} if isinstance(field, str) else {"index": field}
        return WfRunVariable(self.declaration, None, (*self.lh_path, selector))

    @property
    def json_path(self) -> str | None:
        """The JSONPath this handle reads and writes the variable at, if any."""
        return self._json_path

    @json_path.setter
    def json_path(self, json_path: str) -> None:
        """Narrow this handle in place, as LittleHorse's ``var.json_path = "$.x"`` does."""
        if self._json_path is not None:
            raise WorkflowDefinitionError(
                f"variable '{self.name}' already has JSONPath {self._json_path!r}"
            )
        if self.type not in JSON_TYPES:
            raise WorkflowDefinitionError(
                f"JSONPath needs a JSON_OBJ or JSON_ARR variable, but '{self.name}' is "
                f"{self.declaration.type_name}"
            )
        check_json_path(json_path)
        self._json_path = json_path

    def with_json_path(self, json_path: str) -> WfRunVariable:
        """A handle on the part of this JSON_OBJ/JSON_ARR variable that ``json_path`` selects."""
        if self.json_path is not None:
            raise WorkflowDefinitionError(
                f"variable '{self.name}' already has JSONPath {self.json_path!r}"
            )
        if self.lh_path:
            raise WorkflowDefinitionError(f"{self.describe()} cannot also take a JSONPath")
        return WfRunVariable(self.declaration, json_path)

    def with_default(self, value: object) -> WfRunVariable:
        self.declaration.set_default(value)
        return self

    def required(self) -> WfRunVariable:
        """The variable must be given when the thread starts."""
        self.declaration.required = True
        return self

    def searchable(self) -> WfRunVariable:
        """WfRuns can be searched by this variable's value."""
        self.declaration.searchable = True
        return self

    def searchable_on(self, field_path: str, field_type: VariableType | str) -> WfRunVariable:
        """Index one field of a JSON_OBJ variable for search."""
        if self.type != VariableType.JSON_OBJ:
            raise WorkflowDefinitionError(
                f"searchable_on needs a JSON_OBJ variable, but '{self.name}' is "
                f"{self.declaration.type_name}"
            )
        check_json_path(field_path)
        self.declaration.json_indexes.append(
            {
                "fieldPath": field_path,
                "fieldType": parse_enum(VariableType, field_type, "type").value,
            }
        )
        return self

    def masked(self) -> WfRunVariable:
        """Never shown in clear in logs, API output or the dashboard."""
        self.declaration.masked = True
        return self

    def with_access_level(self, level: AccessLevel | str) -> WfRunVariable:
        self.declaration.access_level = parse_enum(AccessLevel, level, "access level")
        return self

    def as_public(self) -> WfRunVariable:
        return self.with_access_level(AccessLevel.PUBLIC_VAR)

    def as_inherited(self) -> WfRunVariable:
        return self.with_access_level(AccessLevel.INHERITED_VAR)

    def assign(self, rhs: Any) -> None:
        """Set this variable on the edge leaving the node most recently added.

        The mutation belongs to the thread being built, which is not always
        the thread that declared the variable: a handler may assign to a
        variable of the thread it handles.
        """
        self.declaration.thread.workflow.building_thread().mutate(
            self, VariableMutationType.ASSIGN, rhs
        )
