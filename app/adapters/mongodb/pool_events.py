"""A MongoDB pool's connections, counted from PyMongo's connection-pool monitoring events
(PyMongo does not expose its pool's counts otherwise)."""

from __future__ import annotations

from pymongo import monitoring


class PoolWatch(monitoring.ConnectionPoolListener):
    def __init__(self) -> None:
        self.checked_out = 0
        self.waiting = 0

    def connection_check_out_started(self, event: monitoring.ConnectionCheckOutStartedEvent) -> None:
        self.waiting += 1

    def connection_checked_out(self, event: monitoring.ConnectionCheckedOutEvent) -> None:
        self.waiting -= 1
        self.checked_out += 1

    def connection_check_out_failed(self, event: monitoring.ConnectionCheckOutFailedEvent) -> None:
        self.waiting -= 1

    def connection_checked_in(self, event: monitoring.ConnectionCheckedInEvent) -> None:
        self.checked_out -= 1

    def pool_cleared(self, event: monitoring.PoolClearedEvent) -> None:
        pass  # checked-out connections are still checked in (and then closed)

    # The rest of the listener's events change neither count.
    def pool_created(self, event: monitoring.PoolCreatedEvent) -> None:
        pass

    def pool_ready(self, event: monitoring.PoolReadyEvent) -> None:
        pass

    def pool_closed(self, event: monitoring.PoolClosedEvent) -> None:
        pass

    def connection_created(self, event: monitoring.ConnectionCreatedEvent) -> None:
        pass

    def connection_ready(self, event: monitoring.ConnectionReadyEvent) -> None:
        pass

    def connection_closed(self, event: monitoring.ConnectionClosedEvent) -> None:
        pass
