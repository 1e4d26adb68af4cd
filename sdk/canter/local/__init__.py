"""The local stack: Canter's AWS resources on moto, with the real handlers.

Imported only by ``canter dev`` and the tests: it is the one place where the
SDK imports the engine.
"""

from canter.local.stack import LocalStack

__all__ = ["LocalStack"]
