"""Whether the engine this run imports serves user tasks (the usertasks branch's side).

The SDK side was built beside the engine side; until both are merged, an
end-to-end test of user tasks is skipped, naming the rpcs it lacks, and it
runs as soon as the route table serves them.
"""

from __future__ import annotations

import pytest
from canter_engine.handlers.routes import ROUTES

USER_TASK_RPCS = frozenset(
    {
        "PutUserTaskDef",
        "GetUserTaskDef",
        "GetLatestUserTaskDef",
        "DeleteUserTaskDef",
        "SearchUserTaskDef",
        "GetUserTaskRun",
        "AssignUserTaskRun",
        "CompleteUserTaskRun",
        "CancelUserTaskRun",
        "SaveUserTaskRunProgress",
        "ListUserTaskRuns",
        "SearchUserTaskRun",
        "PutUserTaskRunComment",
        "EditUserTaskRunComment",
        "DeleteUserTaskRunComment",
    }
)
SERVED = frozenset(route.rpc for route in ROUTES)


def needs(*rpcs: str) -> pytest.MarkDecorator:
    """Skip, naming them, while the engine does not serve ``rpcs`` (default: every one)."""
    missing = sorted(set(rpcs or USER_TASK_RPCS) - SERVED)
    return pytest.mark.skipif(
        bool(missing),
        reason=f"the engine does not serve {', '.join(missing)} yet (branch usertasks)",
    )


DEFINITION_RPCS = (
    "PutUserTaskDef",
    "GetUserTaskDef",
    "GetLatestUserTaskDef",
    "DeleteUserTaskDef",
    "SearchUserTaskDef",
)
