"""The node's partner link as its deployment file describes it."""

from __future__ import annotations

from dronewarn.deploy.endpoints import parse_host_port
from dronewarn.deploy.load import Deployment
from dronewarn.share.link_service import LinkConfig, PartnerEndpoint


def link_config(deployment: Deployment) -> LinkConfig:
    """``[link]`` and ``[[partners]]`` as the link's typed configuration; its home (keys,
    partners' public files, outbox, audit log) is the node's data_dir."""
    file = deployment.file
    link = file.link
    where = parse_host_port(link.listen)
    return LinkConfig(
        node_id=file.node.name,
        home=deployment.data_dir,
        partners=tuple(
            PartnerEndpoint(
                p.name,
                p.url.rstrip("/"),
                tuple(deployment.resolve(k) for k in p.signing_key),
                tuple(deployment.resolve(c) for c in p.certificate),
            )
            for p in file.partners
        ),
        listen_host=where.host,
        listen_port=where.port,
        ttl_s=link.ttl_s,
        heartbeat_s=link.heartbeat_s,
        max_skew_s=link.max_skew_s,
        checkpoint_every=link.checkpoint_every,
        signing_key=None if link.key is None else deployment.resolve(link.key),
        tls_cert=None if link.tls_cert is None else deployment.resolve(link.tls_cert),
        tls_key=None if link.tls_key is None else deployment.resolve(link.tls_key),
    )
