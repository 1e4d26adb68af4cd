"""UserTaskDefs through the local stack's HTTP API: versions, reads, search and delete.

Every answer is parsed strictly into LittleHorse's own message class.
Mirrors LittleHorse's e2e UserTaskDefLifecycleTest (idempotent put, a
changed def is the next version).
"""

from __future__ import annotations

from typing import Any

import pytest
from canter import Client
from canter.client import InvalidArgument, NotFound
from google.protobuf.json_format import ParseDict
from littlehorse.model import UserTaskDef, UserTaskDefIdList

from .support import Names

pytestmark = pytest.mark.e2e

APPROVAL = [
    {
        "name": "approved",
        "type": "BOOL",
        "displayName": "Approved?",
        "description": "Reply true if this is an acceptable request.",
        "required": True,
    }
]


def _def(answer: dict[str, Any]) -> UserTaskDef:
    return ParseDict(answer, UserTaskDef())


def test_put_is_idempotent_and_a_changed_def_is_the_next_version(
    client: Client, names: Names
) -> None:
    name = names("form")
    first = _def(client.call("PutUserTaskDef", {"name": name, "fields": APPROVAL}))
    again = _def(client.call("PutUserTaskDef", {"name": name, "fields": APPROVAL}))
    assert (first.version, again.version) == (0, 0)
    assert again.created_at == first.created_at
    changed = [*APPROVAL, {"name": "approvedBy", "type": "STR", "displayName": "Approved by"}]
    second = _def(
        client.call("PutUserTaskDef", {"name": name, "fields": changed, "description": "d"})
    )
    assert second.version == 1
    assert [f.name for f in second.fields] == ["approved", "approvedBy"]
    assert second.fields[0].required and second.fields[0].display_name == "Approved?"
    latest = _def(client.call("GetLatestUserTaskDef", {"name": name}))
    assert latest.version == 1 and latest.description == "d"
    old = _def(client.call("GetUserTaskDef", {"name": name}))
    assert old.version == 0 and len(old.fields) == 1
    assert _def(client.call("GetUserTaskDef", {"name": name, "version": 1})) == second


def test_search_by_prefix_and_name_pages_every_version(client: Client, names: Names) -> None:
    prefix = names("sf")
    for n in range(3):
        client.call("PutUserTaskDef", {"name": f"{prefix}-{n}", "fields": APPROVAL})
    client.call("PutUserTaskDef", {"name": f"{prefix}-0", "description": "v1"})
    first = client.call("SearchUserTaskDef", {"prefix": prefix, "limit": 2})
    ParseDict(first, UserTaskDefIdList())
    rest = client.call("SearchUserTaskDef", {"prefix": prefix, "bookmark": first["bookmark"]})
    ParseDict(rest, UserTaskDefIdList())
    found = [(r["name"], r.get("version", 0)) for r in first["results"] + rest["results"]]
    assert found == [(f"{prefix}-0", 0), (f"{prefix}-0", 1), (f"{prefix}-1", 0), (f"{prefix}-2", 0)]
    by_name = client.call("SearchUserTaskDef", {"name": f"{prefix}-0"})
    assert [r.get("version", 0) for r in by_name["results"]] == [0, 1]


def test_delete_removes_one_version_and_its_search_entry(client: Client, names: Names) -> None:
    name = names("del")
    client.call("PutUserTaskDef", {"name": name, "fields": APPROVAL})
    client.call("PutUserTaskDef", {"name": name, "description": "second"})
    assert client.call("DeleteUserTaskDef", {"id": {"name": name, "version": 1}}) == {}
    assert _def(client.call("GetLatestUserTaskDef", {"name": name})).version == 0
    listed = client.call("SearchUserTaskDef", {"name": name})
    assert [r.get("version", 0) for r in listed["results"]] == [0]
    with pytest.raises(NotFound, match="version 1 does not exist"):
        client.call("DeleteUserTaskDef", {"id": {"name": name, "version": 1}})
    with pytest.raises(NotFound, match="version 1 does not exist"):
        client.call("GetUserTaskDef", {"name": name, "version": 1})


def test_bad_defs_are_refused_with_what_is_wrong(client: Client, names: Names) -> None:
    with pytest.raises(InvalidArgument, match="not a valid name"):
        client.call("PutUserTaskDef", {"name": "bad_name"})
    twice = [{"name": "a", "type": "STR"}, {"name": "a", "type": "INT"}]
    with pytest.raises(InvalidArgument, match=r"fields\[1\]\.name 'a' is declared twice"):
        client.call("PutUserTaskDef", {"name": names("twice"), "fields": twice})
    with pytest.raises(InvalidArgument, match=r"fields\.0\.type"):
        client.call(
            "PutUserTaskDef", {"name": names("colour"), "fields": [{"name": "a", "type": "X"}]}
        )
    with pytest.raises(NotFound, match="register it with PutUserTaskDef"):
        client.call("GetLatestUserTaskDef", {"name": names("missing")})
