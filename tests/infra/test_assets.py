"""The code asset is ``functions/`` untouched; jsonpath-ng is bundled for Lambda without Docker."""

from __future__ import annotations

import ast
from pathlib import Path

from infra import assets
from infra.assets import ENGINE_DEPS_DIR, FUNCTIONS_DIR, PipInstallLocally, pip_install_command

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


def test_pip_targets_the_lambda_platform(tmp_path: Path) -> None:
    command = pip_install_command(ENGINE_DEPS_DIR / "requirements.txt", tmp_path)
    joined = " ".join(command)
    assert "--platform manylinux2014_aarch64" in joined
    assert "--python-version 3.12" in joined
    assert "--only-binary=:all:" in joined
    assert f"--target {tmp_path / 'python'}" in joined


def test_requirements_are_pinned() -> None:
    lines = [
        line
        for line in (ENGINE_DEPS_DIR / "requirements.txt").read_text().splitlines()
        if line and not line.startswith("#")
    ]
    assert lines and all("==" in line for line in lines)
    assert any(line.startswith("jsonpath-ng==") for line in lines)


def test_local_bundling_installs_jsonpath_ng_into_the_layer_layout(tmp_path: Path) -> None:
    """Runs pip against PyPI, the one network this bundling needs."""
    bundler = PipInstallLocally(ENGINE_DEPS_DIR / "requirements.txt")
    assert bundler.try_bundle(str(tmp_path)) is True
    assert (tmp_path / "python" / "jsonpath_ng" / "__init__.py").is_file()


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
