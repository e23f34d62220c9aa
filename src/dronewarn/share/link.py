"""Partner links: how a node's warnings reach a partner node.

``PartnerLink`` is the seam. ``InProcessLink`` hands each warning straight to the partner
node's receive function in the same process (the live terminal demo and tests).
``link_service.SignedLink``, the signed, store-and-forward link over mutual TLS, implements
the same protocol between nodes in separate processes or machines.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from dronewarn.domain.partner import Partner
from dronewarn.domain.warning import Warning


class PartnerLink(Protocol):
    partner: Partner

    def send(self, warning: Warning) -> None: ...

    @property
    def sent(self) -> int: ...


class InProcessLink:
    """Delivers to a partner node living in the same process."""

    def __init__(self, partner: Partner, deliver: Callable[[Warning], object]) -> None:
        self.partner = partner
        self._deliver = deliver
        self._sent = 0

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
