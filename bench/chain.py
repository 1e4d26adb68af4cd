"""The 10-task chain's cost, run after run, alone or side by side with another commit.

``make bench`` measures the chain once, and one run's figure moves by a few
cents with how the local stack happens to batch stream records, SQS messages
and reports. Comparing two versions of the code takes several runs of each,
interleaved on the same machine: ``python -m bench.chain --runs 8 --against
318c7d5`` checks that commit out into a temporary worktree and alternates a
run of it with a run of this checkout, each in a fresh process and local
stack, then prints every figure and each side's mean. The other commit's
bench must offer what this one calls (bench.cost.measure, bench.harness.metered_stack,
bench.workflows.references), as every commit since the chain was first priced does.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent

# One run in a fresh process: the chain reference (20 WfRuns in flight) on a new local stack.
_ONE_RUN = """
from bench import cost
from bench.harness import metered_stack
from bench.workflows import references
with metered_stack() as stack:
    result = cost.measure(stack, references(1000, 1, 1, 20)[0])
print(f"{result.dollars / result.per_unit * 1e6:.4f}")
"""


def run_once(tree: Path) -> float:
    """One chain run with ``tree``'s code: $ per million task nodes."""
    path = os.pathsep.join(str(tree / p) for p in ("functions", "sdk", "."))
    done = subprocess.run(
        [sys.executable, "-c", _ONE_RUN],
        cwd=tree,
        env={**os.environ, "PYTHONPATH": path, "AWS_DEFAULT_REGION": "us-east-1"},
        capture_output=True,
        text=True,
        check=False,
    )
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        raise SystemExit(f"a chain run in {tree} failed:\n{done.stderr[-2000:]}")
    return float(lines[-1])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.chain", description=__doc__)
    parser.add_argument("--runs", type=int, default=5, help="runs of each side (default 5)")
    parser.add_argument("--against", metavar="REV", help="a commit to alternate runs with")
    args = parser.parse_args(argv)
    sides: dict[str, Path] = {"this checkout": HERE}
    with tempfile.TemporaryDirectory() as scratch:
        if args.against:
            other = Path(scratch) / "other"
            add = ["worktree", "add", "-q", "--detach", str(other), args.against]
            subprocess.run(["git", "-C", str(HERE), *add], check=True)
            sides = {args.against: other, **sides}
        try:
            figures: dict[str, list[float]] = {name: [] for name in sides}
            for run in range(1, args.runs + 1):
                for name, tree in sides.items():
                    figures[name].append(run_once(tree))
                    print(f"run {run}: {name}: ${figures[name][-1]:.3f}", flush=True)
        finally:
            if args.against:
                subprocess.run(
                    ["git", "-C", str(HERE), "worktree", "remove", "--force", str(other)],
                    check=False,
                )
    for name, values in figures.items():
        print(
            f"{name}: mean ${statistics.mean(values):.3f} per million task nodes "
            f"(min {min(values):.3f}, max {max(values):.3f}, {len(values)} runs)"
        )


if __name__ == "__main__":
    main()
