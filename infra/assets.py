"""The Lambda code asset and the layer of the engine's third-party packages.

The code asset is ``functions/`` as it stands, so the handlers run exactly
the modules the tests import. jsonpath-ng is not in the runtime or the
Powertools layer; it is pip-installed into a layer on this machine (no
Docker): it is pure Python, so a wheel for any platform is the right one,
and pip is told the Lambda platform anyway so a future compiled dependency
cannot be picked up for the wrong architecture.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import jsii
from aws_cdk import BundlingOptions, ILocalBundling
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from infra.runtime import ARCHITECTURE, PYTHON_RUNTIME

REPO_ROOT = Path(__file__).resolve().parent.parent
FUNCTIONS_DIR = REPO_ROOT / "functions"
ENGINE_DEPS_DIR = Path(__file__).resolve().parent / "engine_deps"
ASSET_EXCLUDES = ["**/__pycache__", "**/*.pyc", "**/*.egg-info", "**/.mypy_cache"]

_PIP_PLATFORMS = {"arm64": "manylinux2014_aarch64", "x86_64": "manylinux2014_x86_64"}


def engine_code() -> lambda_.Code:
    return lambda_.Code.from_asset(str(FUNCTIONS_DIR), exclude=ASSET_EXCLUDES)


@jsii.implements(ILocalBundling)
class PipInstallLocally:
    """Installs a requirements file into ``<output>/python``, a layer's layout."""

    def __init__(self, requirements: Path) -> None:
        self._requirements = requirements

    def try_bundle(self, output_dir: str, *_options: Any, **_keywords: Any) -> bool:
        """The bundling options are not needed: the requirements file says it all.

        jsii passes them as one positional struct while the generated protocol
        spells them as keywords, so both are accepted.
        """
        subprocess.run(pip_install_command(self._requirements, Path(output_dir)), check=True)
        return True


def pip_install_command(requirements: Path, output_dir: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
        "--no-compile",
        "--only-binary=:all:",
        "--implementation",
        "cp",
        "--platform",
        _PIP_PLATFORMS[ARCHITECTURE.name],
        "--python-version",
        PYTHON_RUNTIME.name.removeprefix("python"),
        "--target",
        str(output_dir / "python"),
        "--requirement",
        str(requirements),
    ]


def engine_dependencies_layer(scope: Construct, construct_id: str) -> lambda_.LayerVersion:
    bundling = BundlingOptions(
        # Never pulled: the local hook always succeeds, and CDK asks for an
        # image only to fall back to Docker when a hook declines.
        image=PYTHON_RUNTIME.bundling_image,
        local=PipInstallLocally(ENGINE_DEPS_DIR / "requirements.txt"),
    )
    return lambda_.LayerVersion(
        scope,
        construct_id,
        code=lambda_.Code.from_asset(str(ENGINE_DEPS_DIR), bundling=bundling),
        compatible_runtimes=[PYTHON_RUNTIME],
        compatible_architectures=[ARCHITECTURE],
        description="Third-party packages of the Canter engine (see infra/engine_deps)",
    )
