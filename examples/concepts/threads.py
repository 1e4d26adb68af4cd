import canter
from canter import Workflow, WorkflowThread


@canter.task(name="pack-item")
def pack_item(item: str) -> str:
    return f"packed {item}"


def packing(wf: WorkflowThread) -> None:
    items = wf.declare_json_arr("items").required()
    packed = wf.declare_json_arr("packed", [])
    label = wf.declare_str("label")

    def pack(child: WorkflowThread) -> None:
        item = child.declare_str("INPUT")  # each child gets one element of items
        child.mutate(packed, "ADD", child.execute(pack_item, item))  # a parent's variable

    def write_label(child: WorkflowThread) -> None:
        child.execute(pack_item, "label")
        label.assign("FRAGILE")

    per_item = wf.spawn_thread_for_each(items, pack, "pack")
    labeller = wf.spawn_thread(write_label, "label")
    wf.wait_for_threads(per_item)
    wf.wait_for_threads(labeller)


WORKFLOW = Workflow("packing", packing)
TASKS = [pack_item]
