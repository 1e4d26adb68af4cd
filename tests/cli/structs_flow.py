"""StructDef classes, a task taking one and a workflow declaring one, for ``canter deploy``.

``Garage`` names ``Vehicle`` and comes first here: deploy registers
``Vehicle`` first anyway, since PutStructDef pins the StructDefs a field names.
"""

from __future__ import annotations

import canter
from canter import Workflow, WorkflowThread


@canter.struct_def(name="cli-garage")
class Garage:
    city: str
    vehicle: Vehicle


@canter.struct_def(name="cli-vehicle")
class Vehicle:
    plate: str
    wheels: int = 4


@canter.task(name="cli-park")
def park(garage: Garage) -> str:
    return f"{garage.vehicle.plate} parked in {garage.city}"


def parking(t: WorkflowThread) -> None:
    garage = t.declare_struct("garage", Garage).required()
    t.declare_str("ticket").assign(t.execute(park, garage))


PARKING = Workflow("cli-parking", parking)
