from canter import Workflow, WorkflowThread


def signing(wf: WorkflowThread) -> None:
    document = wf.declare_str("document").required()
    signer = wf.declare_str("signer")
    signer.assign(
        wf.wait_for_event(
            "document-signed",
            correlation_id=document,
            correlated_event_config={"deleteAfterFirstCorrelation": True},
        )
    )


WORKFLOW = Workflow("signing", signing)
