"""Compiling small workflows and locating the user's line in definition errors."""

from __future__ import annotations

import contextlib
import inspect
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from canter import Workflow, WorkflowDefinitionError


def compile_wf(entrypoint: Callable[[Any], None], name: str = "wf") -> dict[str, Any]:
    return Workflow(name, entrypoint).compile()


def entrypoint_spec(entrypoint: Callable[[Any], None]) -> dict[str, Any]:
    spec: dict[str, Any] = compile_wf(entrypoint)["threadSpecs"]["entrypoint"]
    return spec


def nodes_of_kind(thread_spec: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    """The nodes of one kind, in program order (node names start with their index)."""
    names = sorted(
        (name for name, node in thread_spec["nodes"].items() if kind in node),
        key=lambda name: int(name.split("-", 1)[0]),
    )
    return [thread_spec["nodes"][name] for name in names]


def _test_file() -> str:
    here = Path(__file__).resolve()
    for frame in inspect.stack():
        path = Path(frame.filename).resolve()
        if path != here and path.name != "contextlib.py":
            return frame.filename
    raise AssertionError("no caller outside the helpers")


@contextlib.contextmanager
def raises_at(marker: str, match: str) -> Iterator[None]:
    """Expect a WorkflowDefinitionError matching ``match`` at the line ending ``# <marker>``."""
    test_file = _test_file()
    lines = Path(test_file).read_text().splitlines()
    marked = [number for number, text in enumerate(lines, 1) if text.endswith(f"# {marker}")]
    assert len(marked) == 1, f"marker {marker!r} must occur exactly once in {test_file}"
    with pytest.raises(WorkflowDefinitionError, match=match) as caught:
        yield
    assert (caught.value.filename, caught.value.lineno) == (test_file, marked[0])
    assert str(caught.value).startswith(f"{test_file}:{marked[0]}: ")
