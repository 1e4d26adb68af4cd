"""Whether the engine this run imports serves user tasks (the usertasks branch's side).

The SDK side was built beside the engine side; until both are merged, the
end-to-end tests of user tasks are skipped with this reason, and they run
as soon as the route table serves every user-task rpc.
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
MISSING = sorted(USER_TASK_RPCS - {route.rpc for route in ROUTES})

needs_user_task_engine = pytest.mark.skipif(
    bool(MISSING),
    reason=f"the engine does not serve {', '.join(MISSING)} yet (branch usertasks)",
)
