"""The code asset is ``functions/`` untouched and needs nothing bundled beside it."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

from infra import assets
from infra.assets import FUNCTIONS_DIR

INFRA_DIR = Path(assets.__file__).parent


def test_code_asset_is_the_functions_directory() -> None:
    assert (FUNCTIONS_DIR / "canter_engine" / "resources.py").is_file()


# The definitions infra builds from: resources, and the table of rpcs (plain data).
ENGINE_TABLES = ("canter_engine.resources", "canter_engine.handlers.routes")


def test_infra_imports_only_the_resource_definitions_from_the_engine() -> None:
    """Synthesis must not depend on handler code (it is built elsewhere, and may not import)."""
    for module in [*INFRA_DIR.glob("*.py"), INFRA_DIR.parent / "app.py"]:
        for node in ast.walk(ast.parse(module.read_text())):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("canter_engine"):
                names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
                assert any(n in ENGINE_TABLES for n in names), (module, names)
            if isinstance(node, ast.Import):
                for alias in node.names:
                    assert not alias.name.startswith("canter_engine.handlers"), module


# What the Lambda runtime (boto3) and the Powertools layer (powertools, pydantic) provide.
PROVIDED = {"boto3", "botocore", "aws_lambda_powertools", "pydantic", "canter_engine"}


def test_the_engine_imports_only_what_lambda_provides() -> None:
    """No layer of our own: jsonpath-ng is gone (Canter's JSONPath is model/jsonpath.py)."""
    for module in (FUNCTIONS_DIR / "canter_engine").rglob("*.py"):
        tree = ast.parse(module.read_text())
        typing_only = {
            id(inner)
            for block in ast.walk(tree)
            if isinstance(block, ast.If) and ast.unparse(block.test) == "TYPE_CHECKING"
            for inner in ast.walk(block)
        }
        for node in ast.walk(tree):
            if id(node) in typing_only:
                continue
            if isinstance(node, ast.Import):
                roots = {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                roots = {node.module.split(".")[0]}
            else:
                continue
            third_party = roots - PROVIDED - set(sys.stdlib_module_names)
            assert not third_party, (module, third_party)


def test_every_handler_string_names_a_function_in_the_asset() -> None:
    """Checked by reading the source, so synthesis and this test never import a handler."""
    from canter_engine.resources import FUNCTIONS

    for definition in FUNCTIONS:
        module, _, attribute = definition.handler.rpartition(".")
        source = FUNCTIONS_DIR.joinpath(*module.split(".")).with_suffix(".py")
        tree = ast.parse(source.read_text())
        defined = {
            node.name
            for node in tree.body
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        } | {
            target.id
            for node in tree.body
            if isinstance(node, ast.Assign)
            for target in node.targets
            if isinstance(target, ast.Name)
        }
        assert attribute in defined, definition.handler
