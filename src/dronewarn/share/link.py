"""Partner links: how a node's warnings reach a partner node.

``PartnerLink`` is the seam. ``InProcessLink`` hands each warning straight to the partner
node's receive function in the same process (the live terminal demo and tests).
``link_service.SignedLink``, the signed, store-and-forward link over mutual TLS, implements
the same protocol between nodes in separate processes or machines.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol

from dronewarn.domain.partner import Partner
from dronewarn.domain.warning import Warning


class PartnerLink(Protocol):
    partner: Partner

    def send(self, warning: Warning) -> None: ...

    def send_message(self, kind: str, body: Mapping[str, Any]) -> None:
        """Another kind of message (``tracks``, ``feedback``) to the partner."""

    @property
    def sent(self) -> int: ...


class InProcessLink:
    """Delivers to a partner node living in the same process."""

    def __init__(
        self,
        partner: Partner,
        deliver: Callable[[Warning], object],
        deliver_message: Callable[[str, str, Mapping[str, Any]], object] | None = None,
        sender: str = "",
    ) -> None:
        self.partner = partner
        self._deliver = deliver
        self._deliver_message = deliver_message
        self._sender = sender
        self._sent = 0

    def send_message(self, kind: str, body: Mapping[str, Any]) -> None:
        if self._deliver_message is not None:
            self._deliver_message(kind, self._sender, body)

    def send(self, warning: Warning) -> None:
        if warning.recipient != self.partner.node_id:
            raise ValueError(
                f"warning for {warning.recipient} sent on the link to {self.partner.node_id}"
            )
        self._deliver(warning)
        self._sent += 1

    @property
    def sent(self) -> int:
        return self._sent
