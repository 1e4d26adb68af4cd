"""Python values as LittleHorse ``VariableValue`` JSON, with their types.

The encoding matches protobuf's JSON mapping of ``VariableValue`` exactly
(int64 as a string, bytes as base64, timestamps as RFC 3339 in UTC, JSON
values as their ``json.dumps`` text) so that a literal compiles to the same
bytes as in the LittleHorse SDK.
"""

from __future__ import annotations

import base64
import json
import math
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from canter import structs
from canter.builder.errors import WorkflowDefinitionError
from canter.builder.types import VariableType


def _unsupported(value: object) -> WorkflowDefinitionError:
    return WorkflowDefinitionError(
        f"cannot use {value!r} (a {type(value).__name__}) as a literal value: use an int, float, "
        "bool, str, bytes, datetime, dict, list or a workflow variable"
    )


def literal_type(value: object) -> VariableType | None:
    """The type a literal has on the wire; ``None`` for the null literal and for a struct
    (an instance of a ``@canter.struct_def`` class), whose type the server checks."""
    if value is None or structs.is_struct(type(value)):
        return None
    if isinstance(value, bool):
        return VariableType.BOOL
    if isinstance(value, int):
        return VariableType.INT
    if isinstance(value, float):
        return VariableType.DOUBLE
    if isinstance(value, str):
        return VariableType.STR
    if isinstance(value, bytes):
        return VariableType.BYTES
    if isinstance(value, datetime):
        return VariableType.TIMESTAMP
    if isinstance(value, Mapping):
        return VariableType.JSON_OBJ
    if isinstance(value, list | tuple):
        return VariableType.JSON_ARR
    raise _unsupported(value)


def _json_text(value: object) -> str:
    try:
        return json.dumps(value)
    except (TypeError, ValueError) as err:
        raise WorkflowDefinitionError(f"literal {value!r} is not JSON-serialisable: {err}") from err


def _double(value: float) -> float | str:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return value


def timestamp_text(value: datetime) -> str:
    """RFC 3339 in UTC with 0, 3, 6 or 9 fractional digits, as protobuf prints it.

    A naive datetime is taken to be UTC, as protobuf's ``FromDatetime`` does.
    """
    utc = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    text = utc.strftime("%Y-%m-%dT%H:%M:%S")
    micros = utc.microsecond
    if micros == 0:
        return text + "Z"
    if micros % 1000 == 0:
        return f"{text}.{micros // 1000:03d}Z"
    return f"{text}.{micros:06d}Z"


def variable_value(value: object, as_type: VariableType | None = None) -> dict[str, Any]:
    """The ``VariableValue`` JSON of ``value``, optionally widened to ``as_type``."""
    if value is None:
        return {}
    if isinstance(value, bool):
        return {"bool": value}
    if isinstance(value, int):
        return {"double": float(value)} if as_type == VariableType.DOUBLE else {"int": str(value)}
    if isinstance(value, float):
        return {"double": _double(value)}
    if isinstance(value, str):
        return {"wfRunId": {"id": value}} if as_type == VariableType.WF_RUN_ID else {"str": value}
    if isinstance(value, bytes):
        return {"bytes": base64.b64encode(value).decode("ascii")}
    if isinstance(value, datetime):
        return {"utcTimestamp": timestamp_text(value)}
    if isinstance(value, Mapping):
        return {"jsonObj": _json_text(dict(value))}
    if isinstance(value, list | tuple):
        return {"jsonArr": _json_text(list(value))}
    if structs.is_struct(type(value)):
        return {"struct": structs.to_struct(value)}
    raise _unsupported(value)
