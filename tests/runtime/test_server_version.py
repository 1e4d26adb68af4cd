"""GetServerVersion through the local stack: the LittleHorse API Canter serves, as
LittleHorse's LittleHorseVersion, with Canter named in its pre-release identifier;
and each LittleHorse rpc Canter does not serve refused with its reason."""

from __future__ import annotations

from importlib.metadata import version

import pytest
from canter import Client
from canter.client import CanterError, InvalidArgument
from canter_engine.handlers.routes import BY_RPC, NOT_SERVED
from google.protobuf.json_format import ParseDict
from littlehorse.model import LittleHorseVersion, service_pb2

from .test_wire_fidelity import CANTER_ONLY

pytestmark = pytest.mark.e2e


def test_the_answer_is_the_littlehorse_release_whose_messages_canter_speaks(
    client: Client,
) -> None:
    answer = ParseDict(client.get_server_version(), LittleHorseVersion())
    served = f"{answer.major_version}.{answer.minor_version}.{answer.patch_version}"
    assert served == version("littlehorse-client")
    assert answer.pre_release_identifier == "canter"


def test_a_field_the_empty_request_does_not_have_is_refused(client: Client) -> None:
    with pytest.raises(InvalidArgument, match="GetServerVersion: unknown field"):
        client.call("GetServerVersion", {"tenant": "x"})


def test_every_littlehorse_rpc_is_served_or_refused_with_its_reason(client: Client) -> None:
    methods = service_pb2.DESCRIPTOR.services_by_name["LittleHorse"].methods
    unary = {m.name for m in methods if not (m.client_streaming or m.server_streaming)}
    served = set(BY_RPC) - CANTER_ONLY
    assert served | set(NOT_SERVED) == unary
    assert not served & set(NOT_SERVED)
    for rpc, reason in NOT_SERVED.items():
        with pytest.raises(CanterError) as refused:
            client.call(rpc, {})
        assert (refused.value.code, refused.value.message) == (
            "UNIMPLEMENTED",
            f"Canter does not serve {rpc}: {reason}",
        )
