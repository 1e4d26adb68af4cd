"""DynamoDB's TTL for the local stack: moto keeps expired items, so this removes them.

Every table whose definition names a TTL attribute (canter_engine.resources)
is swept: an item whose attribute (epoch seconds) has passed is deleted the
way DynamoDB's TTL deletes it, in the background and without a request of
anyone's: directly in moto's backend, under the server's exclusive gate, so
the journal's stream carries the REMOVE record as it does on AWS, and the
bench's request meter counts nothing (a TTL deletion is free on AWS too).
Time is ``time.time``, so the test kit's clock moves expiry with it.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from canter_engine import resources

from canter.local.moto_server import MotoServer

log = logging.getLogger("canter.local")


class TtlSweeper:
    def __init__(self, moto: MotoServer, stage: str, region: str, *, every_seconds: float) -> None:
        self._moto = moto
        self._stage = stage
        self._region = region
        self._every = every_seconds
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="canter-ttl", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=self._every + 5)

    def _run(self) -> None:
        while not self._stop.wait(self._every):
            try:
                self.sweep()
            except Exception:
                log.exception("could not sweep expired items; trying again")

    def sweep(self) -> int:
        """Delete every item whose TTL has passed; returns how many."""
        from moto.backends import get_backend
        from moto.core.models import DEFAULT_ACCOUNT_ID

        backend: Any = get_backend("dynamodb")[DEFAULT_ACCOUNT_ID][self._region]
        now = time.time()
        removed = 0
        with self._moto.exclusive():
            for definition in resources.TABLES:
                attribute = definition.ttl_attribute
                table = backend.tables.get(definition.physical_name(self._stage))
                if attribute is None or table is None:
                    continue
                keys = (definition.partition_key.name, definition.sort_key.name)
                for item in table.all_items():
                    expiry = item.attrs.get(attribute)
                    if expiry is None or expiry.type != "N" or float(expiry.value) > now:
                        continue
                    key = {name: item.attrs[name].to_json() for name in keys}
                    backend.delete_item(table.name, key)
                    removed += 1
        return removed
