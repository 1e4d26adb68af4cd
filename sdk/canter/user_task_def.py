"""UserTaskDefs from Python classes: the form a person fills in, as a ``PutUserTaskDefRequest``.

A dataclass (or a TypedDict) is the form: each field is a ``UserTaskField``
whose type comes from the type hint, ``required`` when the field has no
default (for a TypedDict, when the key is required), and whose display name
and description come from ``Annotated[T, canter.FieldDoc(...)]`` or a
dataclass field's ``metadata`` (``display_name``, ``description``). The
class is the one definition of the form: ``canter deploy`` registers it and
``assign_user_task`` refers to it.
"""

from __future__ import annotations

import dataclasses
import re
import typing
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar, overload

from canter.builder.errors import WorkflowDefinitionError
from canter.task_def import variable_type_of

_USER_TASK_DEF_ATTRIBUTE = "__canter_user_task_def__"

C = TypeVar("C", bound=type)


@dataclass(frozen=True)
class FieldDoc:
    """How a field is shown to people: ``Annotated[bool, FieldDoc("Approved?", "...")]``."""

    display_name: str | None = None
    description: str | None = None


@dataclass(frozen=True)
class UserTaskField:
    """One field of the form (LittleHorse's ``UserTaskField``)."""

    name: str
    type: str
    display_name: str | None = None
    description: str | None = None
    required: bool = False

    def to_json(self) -> dict[str, Any]:
        field: dict[str, Any] = {"name": self.name, "type": self.type}
        if self.description:
            field["description"] = self.description
        if self.display_name:
            field["displayName"] = self.display_name
        if self.required:
            field["required"] = True
        return field


@dataclass(frozen=True)
class UserTaskDef:
    """A UserTaskDef to register: its name, description and fields."""

    name: str
    fields: tuple[UserTaskField, ...]
    description: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The ``PutUserTaskDefRequest`` as proto3 JSON."""
        request: dict[str, Any] = {"name": self.name}
        if self.fields:
            request["fields"] = [field.to_json() for field in self.fields]
        if self.description:
            request["description"] = self.description
        return request

    @classmethod
    def from_class(
        cls, form: type, name: str | None = None, description: str | None = None
    ) -> UserTaskDef:
        """The UserTaskDef of a dataclass or TypedDict, named after it in kebab-case by default."""
        task_name = name or kebab_case(form.__name__)
        try:
            hints = typing.get_type_hints(form, include_extras=True)
        except NameError as err:
            raise WorkflowDefinitionError(
                f"cannot resolve the type hints of {form.__name__}: {err}"
            ) from err
        if dataclasses.is_dataclass(form):
            fields = tuple(_dataclass_field(f, hints[f.name], task_name) for f in _fields(form))
        elif typing.is_typeddict(form):
            total = bool(getattr(form, "__total__", True))
            fields = tuple(
                _field(key, hint, _typed_dict_required(hint, total), FieldDoc(), task_name)
                for key, hint in hints.items()
            )
        else:
            raise WorkflowDefinitionError(
                f"{form.__name__} is not a dataclass or a TypedDict: a UserTaskDef is declared "
                "as one, with a typed field per form field"
            )
        if not fields:
            raise WorkflowDefinitionError(f"user task {task_name} has no fields")
        return cls(task_name, fields, description or _docstring(form))


@overload
def user_task(form: C, /) -> C: ...


@overload
def user_task(*, name: str | None = None, description: str | None = None) -> Callable[[C], C]: ...


def user_task(
    form: C | None = None, /, *, name: str | None = None, description: str | None = None
) -> C | Callable[[C], C]:
    """Declare a dataclass or TypedDict as a UserTaskDef; the class stays as it is.

    ``@canter.user_task`` or ``@canter.user_task(name="approve-expense")``
    above ``@dataclass``. ``canter deploy`` registers it and
    ``wf.assign_user_task(ExpenseApproval, ...)`` refers to it.
    """

    def register(target: C) -> C:
        definition = UserTaskDef.from_class(target, name=name, description=description)
        setattr(target, _USER_TASK_DEF_ATTRIBUTE, definition)
        return target

    return register(form) if form is not None else register


def user_task_def_of(value: object) -> UserTaskDef | None:
    """The UserTaskDef ``value`` is, or that a ``@canter.user_task`` class declares."""
    if isinstance(value, UserTaskDef):
        return value
    definition = getattr(value, _USER_TASK_DEF_ATTRIBUTE, None) if isinstance(value, type) else None
    return definition if isinstance(definition, UserTaskDef) else None


def kebab_case(name: str) -> str:
    """``ExpenseApproval`` -> ``expense-approval``: a valid LittleHorse name."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "-", name).replace("_", "-").lower()


def _fields(form: type) -> tuple[dataclasses.Field[Any], ...]:
    return dataclasses.fields(form)


def _dataclass_field(field: dataclasses.Field[Any], hint: Any, task_name: str) -> UserTaskField:
    required = field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING
    doc = FieldDoc(field.metadata.get("display_name"), field.metadata.get("description"))
    return _field(field.name, hint, required, doc, task_name)


def _field(name: str, hint: Any, required: bool, doc: FieldDoc, task_name: str) -> UserTaskField:
    if typing.get_origin(hint) in (typing.NotRequired, typing.Required):
        hint = typing.get_args(hint)[0]
    for extra in getattr(hint, "__metadata__", ()):
        if isinstance(extra, FieldDoc):
            doc = FieldDoc(
                extra.display_name or doc.display_name, extra.description or doc.description
            )
    var_type = variable_type_of(hint, f"field '{name}' of user task {task_name}")
    return UserTaskField(name, var_type, doc.display_name, doc.description, required)


def _typed_dict_required(hint: Any, total: bool) -> bool:
    """From the hint itself: ``__required_keys__`` misses ``NotRequired`` in string annotations."""
    origin = typing.get_origin(hint)
    if origin is typing.NotRequired:
        return False
    return origin is typing.Required or total


def _docstring(form: type) -> str | None:
    """The class docstring, unless it is the signature ``@dataclass`` writes when there is none."""
    doc = form.__doc__
    if not doc or doc.startswith(f"{form.__name__}("):
        return None
    return " ".join(doc.strip().split("\n\n", 1)[0].split())
