"""The link's configuration file, ``<home>/link.json``, loaded once into a typed LinkConfig.

    {
      "node_id": "PL",
      "listen": "0.0.0.0:8443",
      "partners": [{"node_id": "BY", "url": "https://by.example:8443"}],
      "ttl_s": 600, "heartbeat_s": 5, "max_skew_s": 30, "checkpoint_every": 100
    }

Each partner's public keys and certificates sit in ``<home>/partners/<node_id>/``
(``dronewarn keys trust``).
"""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from dronewarn.domain.errors import ConfigError
from dronewarn.share.link_service import LinkConfig, PartnerEndpoint

FILE_NAME = "link.json"
_NODE_ID = r"^[A-Za-z0-9_.-]{1,64}$"


class _Partner(BaseModel):
    model_config = ConfigDict(extra="forbid")
    node_id: str = Field(pattern=_NODE_ID)
    url: str = Field(pattern=r"^https://[^/\s]+(:\d+)?/?$")


class _File(BaseModel):
    model_config = ConfigDict(extra="forbid")
    node_id: str = Field(pattern=_NODE_ID)
    listen: str = Field(pattern=r"^[^\s:]+:\d{1,5}$")
    partners: list[_Partner]
    ttl_s: float = Field(default=600.0, gt=0, le=86_400)
    heartbeat_s: float = Field(default=5.0, gt=0, le=3600)
    max_skew_s: float = Field(default=30.0, ge=0, le=3600)
    checkpoint_every: int = Field(default=100, ge=1)


def load_link_config(home: Path) -> LinkConfig:
    path = home / FILE_NAME
    try:
        data = _File.model_validate(json.loads(path.read_text(encoding="utf-8")))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from exc
    except (ValueError, ValidationError) as exc:
        raise ConfigError(f"{path}: {exc}") from exc
    host, _, port = data.listen.rpartition(":")
    return LinkConfig(
        node_id=data.node_id,
        home=home,
        partners=tuple(PartnerEndpoint(p.node_id, p.url.rstrip("/")) for p in data.partners),
        listen_host=host,
        listen_port=int(port),
        ttl_s=data.ttl_s,
        heartbeat_s=data.heartbeat_s,
        max_skew_s=data.max_skew_s,
        checkpoint_every=data.checkpoint_every,
    )


def write_link_config(config: LinkConfig) -> Path:
    path = config.home / FILE_NAME
    body = {
        "node_id": config.node_id,
        "listen": f"{config.listen_host}:{config.listen_port}",
        "partners": [{"node_id": p.node_id, "url": p.url} for p in config.partners],
        "ttl_s": config.ttl_s,
        "heartbeat_s": config.heartbeat_s,
        "max_skew_s": config.max_skew_s,
        "checkpoint_every": config.checkpoint_every,
    }
    config.home.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(body, indent=2) + "\n", encoding="utf-8")
    return path
