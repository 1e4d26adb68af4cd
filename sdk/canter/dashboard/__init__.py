"""The Canter dashboard: WfSpecs, WfRuns, definitions and user tasks in the browser.

``canter dev`` serves it beside the local API; ``canter dashboard --api-url``
serves it on localhost for a deployed stack, signing each API call with the
user's AWS credentials. Pages are server-rendered (Jinja2, the
``[dashboard]`` extra); graphs are laid out in the browser by dagre, vendored
into the package.
"""

from canter.dashboard.server import Dashboard

__all__ = ["Dashboard"]
