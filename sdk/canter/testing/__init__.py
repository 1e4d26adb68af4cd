"""``canter.testing``: run workflows in pytest on an in-process stack, with a clock to skip.

``with TestEnv(workflows=[...], tasks=[...]) as env`` (or the ``canter_env``
fixture) starts the local stack on free ports, registers the definitions and
runs the task functions in this process; ``env.advance(days=1)`` makes every
sleep, event timeout, retry backoff and task timeout due within that day fire,
in order. Needs the ``[local]`` extra (moto).
"""

from canter.testing.env import TestEnv

__all__ = ["TestEnv"]
