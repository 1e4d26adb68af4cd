"""CDK entry point: ``cdk synth`` / ``cdk deploy`` build one Canter stage from context.

``-c stage=<name>`` picks the stage (default from ``canter_engine.resources``);
``taskQueues`` and ``dynamicQueues`` in ``cdk.json`` or ``-c`` pick the queues.
cdk-nag's AwsSolutions checks run on every synth: an unacknowledged finding fails it.
"""

from __future__ import annotations

import aws_cdk as cdk
from cdk_nag import AwsSolutionsChecks

from infra.config import CanterConfig
from infra.stack import CanterStack, stack_name


def main() -> None:
    app = cdk.App()
    config = CanterConfig.from_context(app.node)
    CanterStack(
        app,
        stack_name(config.stage),
        config=config,
        description=f"Canter workflows, stage {config.stage}",
    )
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    app.synth()


if __name__ == "__main__":
    main()
