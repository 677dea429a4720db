"""When a request reached the simulator's socket, for the latency fault (issue 13).

The faults middleware counts a request's latency from its arrival. Stamped inside the app,
"arrival" is when the event loop first got round to the request's task: after whatever
work the one-threaded simulator was doing for the requests ahead of it (~2 ms for each
mass update of 500 ids). Ten requests sent at once then got answers 50, 52.5, 55 ... ms
after they were sent, a queue that Zoho's many servers do not have. Stamped here, when the
request's first bytes are read from the socket, the simulator's own work stays inside
the latency, as `FaultMiddleware._faulted` promises.
"""

from __future__ import annotations

from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from runner.clock import Clock
from runner.simulator.faults import ARRIVED


def stamping_protocol(clock: Clock) -> type[H11Protocol]:
    """uvicorn's h11 protocol, stamping each request's scope with `clock`'s arrival time."""

    class StampingH11Protocol(H11Protocol):
        _arrived: float | None = None

        def data_received(self, data: bytes) -> None:
            if self._arrived is None and self.conn.their_state is h11.IDLE:
                self._arrived = clock.now()  # the first bytes of a new request
            super().data_received(data)

        def handle_events(self) -> None:
            before: Any = self.scope
            super().handle_events()
            if self.scope is not before and self._arrived is not None:
                self.scope[ARRIVED] = self._arrived  # type: ignore[literal-required]
                self._arrived = None

    return StampingH11Protocol
