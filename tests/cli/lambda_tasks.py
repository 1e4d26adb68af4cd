"""Task functions run as Lambda runs them: `canter dev --lambda-tasks` loads `handler`."""

from __future__ import annotations

import canter


@canter.task(name="cli-lambda-double")
async def double(n: int, ctx: canter.WorkerContext) -> int:
    ctx.log(f"doubling {n}")
    return n * 2


handler = canter.lambda_handler([double])
