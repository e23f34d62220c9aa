"""Each scenario node's home folder, keys, partner trust and link config (demo, drills).

For ``dronewarn demo`` every node gets ``<root>/<node>/`` with its own Ed25519 signing key
and TLS certificate; the nodes that share (either way) trust each other's public files, as
their duty forces would have exchanged them beforehand; each listens on a free loopback
port. Keys already in a home are kept (a rerun with the same ``--data-dir`` keeps its keys,
stores and audit logs).
"""

from __future__ import annotations

from pathlib import Path

from dronewarn.share.link_config import write_link_config
from dronewarn.share.link_service import LinkConfig, NodeHome, PartnerEndpoint
from dronewarn.share.provisioning import provision, trust
from dronewarn.sim.deployment import free_port, link_peers
from dronewarn.sim.scenario import Scenario


def provision_link_homes(
    scenario: Scenario, root: Path, host: str = "127.0.0.1", heartbeat_s: float = 2.0
) -> dict[str, LinkConfig]:
    peers = link_peers(scenario)
    for node_id in peers:
        home = NodeHome(root / node_id)
        if not list(home.keys.glob("*.private.jwk.json")):
            provision(home.root, node_id, ("localhost", host))
    ports = {node_id: free_port(host) for node_id in peers}
    configs = {}
    for node_id, others in peers.items():
        for other in others:
            trust(root / node_id, root / other / "keys", other)
        config = LinkConfig(
            node_id=node_id,
            home=root / node_id,
            partners=tuple(PartnerEndpoint(o, f"https://{host}:{ports[o]}") for o in others),
            listen_host=host,
            listen_port=ports[node_id],
            heartbeat_s=heartbeat_s,
        )
        write_link_config(config)
        configs[node_id] = config
    return configs
