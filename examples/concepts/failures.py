import canter
from canter import Workflow, WorkflowThread


@canter.task(name="reserve-seat")
def reserve_seat(seat: str) -> str:
    if seat.startswith("Z"):
        raise canter.TaskException("sold-out", f"seat {seat} is taken")
    return seat


def booking(wf: WorkflowThread) -> None:
    seat = wf.declare_str("seat").required()
    outcome = wf.declare_str("outcome", "booked")
    reserved = wf.execute(reserve_seat, seat)
    wf.handle_exception(reserved, lambda handler: outcome.assign("waitlisted"), "sold-out")
    wf.handle_error(reserved, lambda handler: handler.fail("booking-failed", "seat service down"))


WORKFLOW = Workflow("booking", booking)
TASKS = [reserve_seat]
