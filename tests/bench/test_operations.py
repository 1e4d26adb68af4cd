"""bench/operations.py: its section of RESULTS.md is replaced in place, or added once."""

from bench.operations import splice

SECTION = "## Operating WfRuns: scheduled runs and retention deletes\n\nnew figures"


def test_the_section_is_added_once_then_replaced() -> None:
    document = "# Benchmark results\n\n## Cost\n\nold cost\n"
    added = splice(document, SECTION)
    assert added == document + "\n" + SECTION + "\n"
    replaced = splice(added.replace("new figures", "old figures") + "\n## Method\n\nm\n", SECTION)
    assert replaced.count("## Operating WfRuns") == 1
    assert "new figures" in replaced and "old figures" not in replaced
    assert replaced.endswith("## Method\n\nm\n")
