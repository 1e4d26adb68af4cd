"""``canter deploy``: what a module defines is registered, in an order the API accepts."""

from __future__ import annotations

import json

import pytest
from canter import Client

from .conftest import Cli, flat, rows

pytestmark = pytest.mark.e2e


def test_deploy_registers_task_defs_events_and_wf_specs_with_versions(
    cli: Cli, client: Client, deployed: None
) -> None:
    result = cli("deploy", "tests.cli.flows")
    assert result.exit_code == 0, result.output
    assert rows(result.output) == [
        ["kind", "name", "version / signature"],
        ["TaskDef", "cli-greet", "(name: STR) -> STR"],
        ["TaskDef", "cli-shout", "(text: STR) -> STR"],
        ["ExternalEventDef", "cli-approval", ""],
        ["WfSpec", "cli-greeting", "v0.0"],
        ["WfSpec", "cli-refusal", "v0.0"],
        ["WfSpec", "cli-approval-wf", "v0.0"],
        ["WfSpec", "cli-typed", "v0.0"],
        ["WfSpec", "cli-impatient", "v0.0"],
    ]
    assert client.get_external_event_def("cli-approval")["id"] == {"name": "cli-approval"}
    assert client.get_task_def("cli-shout")["inputVars"] == [
        {"name": "text", "typeDef": {"primitiveType": "STR"}}
    ]


def test_deploy_json_lists_what_the_api_returned(cli: Cli, deployed: None) -> None:
    result = cli("deploy", "tests.cli.flows:GREETING", "--json")
    assert result.exit_code == 0, result.output
    registered = json.loads(result.stdout)
    assert registered["taskDefs"] == []
    assert [spec["id"]["name"] for spec in registered["wfSpecs"]] == ["cli-greeting"]


def test_a_changed_workflow_is_deployed_as_a_new_version(cli: Cli) -> None:
    first = cli("deploy", "tests.cli.versioned:FIRST").output
    assert ["WfSpec", "cli-versioned", "v0.0"] in rows(first)
    second = cli("deploy", "tests.cli.versioned:SECOND").output
    assert ["WfSpec", "cli-versioned", "v1.0"] in rows(second)
    again = cli("deploy", "tests.cli.versioned:SECOND").output
    assert ["WfSpec", "cli-versioned", "v1.0"] in rows(again)


def test_two_workflows_with_one_name_in_one_module_are_refused(cli: Cli) -> None:
    result = cli("deploy", "tests.cli.versioned")
    assert result.exit_code == 2
    assert "two different WfSpecs are named 'cli-versioned'" in flat(result.output)


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("tests.cli.no_such_module", "No module named"),
        ("tests.cli.flows:MISSING", "has no attribute 'MISSING'"),
        ("tests.cli.flows:APPROVAL", "defines no @canter.task function"),
    ],
)
def test_deploy_of_nothing_deployable_is_a_usage_error(cli: Cli, target: str, message: str) -> None:
    result = cli("deploy", target)
    assert result.exit_code == 2
    assert message in flat(result.output)
    assert "Traceback" not in result.output


def test_deploy_registers_struct_defs_nested_ones_first(cli: Cli, client: Client) -> None:
    result = cli("deploy", "tests.cli.structs_flow")
    assert result.exit_code == 0, result.output
    assert rows(result.output) == [
        ["kind", "name", "version / signature"],
        ["StructDef", "cli-vehicle", "v0"],
        ["StructDef", "cli-garage", "v0"],
        ["TaskDef", "cli-park", "(garage: Struct<cli-garage,v0>) -> STR"],
        ["WfSpec", "cli-parking", "v0.0"],
    ]
    garage = client.get_struct_def("cli-garage")["structDef"]["fields"]["vehicle"]
    assert garage == {"fieldType": {"structDefId": {"name": "cli-vehicle"}}}
