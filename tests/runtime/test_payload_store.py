"""The payload bucket's rules: deterministic keys, one object per value, and
references checked against what they name (store/payloads.py)."""

from __future__ import annotations

import boto3
import pytest
from canter.local import LocalStack
from canter_engine import resources
from canter_engine.store.payloads import (
    INLINE_BYTES,
    REF,
    SPILL_BYTES,
    BadReference,
    PayloadStore,
    parse_ref,
    ref_of,
    stored,
)

from bench.payloads import splice

BUCKET = resources.PAYLOAD_BUCKET.physical_name("local")
LONG = "v" * (INLINE_BYTES + 1)


def test_a_long_string_becomes_a_reference_named_by_run_and_content() -> None:
    uploads: dict[str, bytes] = {}
    tree = {"va": {"0": {"text": {"str": LONG}, "n": {"int": 3}}}}
    first = stored(tree, BUCKET, "wf-1", "inc", uploads)
    again = stored(tree, BUCKET, "wf-1", "inc", {})
    assert first == again, "a retry names the same object"
    ref = parse_ref(first["va"]["0"]["text"]["str"])
    assert ref == ref_of(BUCKET, "wf-1", "inc", LONG.encode())
    assert ref is not None and ref.key.startswith("runs/wf-1/inc/")
    assert first["va"]["0"]["n"] == {"int": 3}
    assert uploads == {ref.key: LONG.encode()}


def test_a_value_held_twice_is_stored_once() -> None:
    uploads: dict[str, bytes] = {}
    stored({"a": {"str": LONG}, "b": [{"str": LONG}]}, BUCKET, "wf-1", "inc", uploads)
    assert len(uploads) == 1


def test_a_small_tree_is_kept_as_is() -> None:
    tree = {"va": {"0": {"text": {"str": "short"}}}}
    assert stored(tree, BUCKET, "wf-1", "inc", {}) is tree


def test_many_medium_values_spill_so_the_item_fits() -> None:
    uploads: dict[str, bytes] = {}
    medium = [{"str": f"{n:04d}" + "m" * 5000} for n in range(40)]
    result = stored(medium, BUCKET, "wf-1", "inc", uploads)
    assert len(uploads) == 40 and all(parse_ref(v["str"]) for v in result)
    tiny = [{"str": "t" * (SPILL_BYTES - 10)}]
    assert stored(tiny, BUCKET, "wf-1", "inc", {}) is tiny


@pytest.mark.parametrize(
    "forged",
    [
        {REF: "runs/x"},
        {REF: {"bucket": BUCKET, "key": "elsewhere/abc", "size": 1, "sha256": "0" * 64}},
        {REF: {"bucket": BUCKET, "key": f"runs/x/-/{'1' * 64}", "size": 1, "sha256": "0" * 64}},
        {REF: {"bucket": BUCKET, "key": f"runs/x/-/{'0' * 64}", "size": "1", "sha256": "0" * 64}},
    ],
)
def test_a_reference_not_made_here_is_refused(forged: dict[str, object]) -> None:
    with pytest.raises(BadReference):
        parse_ref(forged)


def test_a_reference_is_checked_against_the_bytes_and_the_run(stack: LocalStack) -> None:
    s3 = boto3.client("s3", endpoint_url=stack.endpoint_url)
    store = PayloadStore(s3, BUCKET, cache_bytes=0)
    tree = store.offload({"str": LONG}, "wf-checked", "inc")
    assert store.resolve(tree, "wf-checked") == {"str": LONG}
    with pytest.raises(BadReference, match="not under WfRun"):
        store.resolve(tree, "another-run")
    ref = parse_ref(tree["str"])
    assert ref is not None
    s3.put_object(Bucket=BUCKET, Key=ref.key, Body=b"tampered")
    with pytest.raises(BadReference, match="not the one referenced"):
        store.resolve(tree, "wf-checked")
    assert store.delete_wf_run("wf-checked", "inc") == 1
    with pytest.raises(BadReference, match="no stored value"):
        store.resolve(tree, "wf-checked")


def test_the_bench_section_replaces_its_old_copy() -> None:
    md = "# R\n\n## Cost\n\nx\n\n## A 1 MB value\n\nold\n\n## Request breakdown\n\ny\n"
    new = splice(md, "## A 1 MB value\n\nnew")
    assert new == "# R\n\n## Cost\n\nx\n\n## A 1 MB value\n\nnew\n\n## Request breakdown\n\ny\n"
