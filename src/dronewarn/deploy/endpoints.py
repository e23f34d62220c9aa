"""Addresses in node.toml: where a node listens and where it sends, as URLs.

========================================  ==================================================
written                                   means
========================================  ==================================================
``127.0.0.1:8080``, ``[::]:8443``          a TCP address to bind (``[api] listen``,
                                          ``[link] listen``)
``udp://0.0.0.0:8600``                    UDP on that address and port
``udp://239.10.0.1:8600?interface=10.0.0.5``  UDP multicast: join the group on the interface
                                          with that IPv4 address (default: any); as a
                                          destination, also ``ttl`` and ``loop``
``tcp://0.0.0.0:12000``                   a TCP server (``listen``) or a server to call
                                          (``to``, ``connect``)
``tls://tak.example:8089``                the same over TLS
``mqtt://broker:1883/NETWORK``            an MQTT broker and the acoustic network to
                                          subscribe to (``mqtts://`` over TLS)
``http://0.0.0.0:8090/sightings``         an HTTP endpoint (``https://`` with the sensor's
                                          ``tls_cert``/``tls_key``); a bare ``/sightings``
                                          mounts it on the operator API's server
``file:///var/lib/dronewarn/pic.geojson``  a file, rewritten in place (relative:
                                          ``file:picture.geojson``)
========================================  ==================================================
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any
from urllib.parse import parse_qsl, urlsplit

DEFAULT_PORTS: MappingProxyType[str, int] = MappingProxyType(
    {"mqtt": 1883, "mqtts": 8883, "http": 80, "https": 443}
)


@dataclass(frozen=True, slots=True)
class Endpoint:
    """A parsed address. ``host`` is unbracketed ("::" for IPv6 any)."""

    scheme: str
    host: str
    port: int
    path: str = ""
    options: MappingProxyType[str, str] = field(default_factory=lambda: MappingProxyType({}))

    @property
    def is_multicast(self) -> bool:
        try:
            return ipaddress.ip_address(self.host).is_multicast
        except ValueError:
            return False

    def option(self, name: str, default: str | None = None) -> str | None:
        return self.options.get(name, default)

    def __str__(self) -> str:
        if self.scheme == "file":
            return f"file:{self.path}"
        if self.scheme == "path":
            return self.path
        host = f"[{self.host}]" if ":" in self.host else self.host
        text = (
            f"{self.scheme}://{host}:{self.port}{self.path}"
            if self.scheme
            else f"{host}:{self.port}"
        )
        if self.options:
            text += "?" + "&".join(f"{k}={v}" for k, v in self.options.items())
        return text


def _port(text: str | None, scheme: str, given: str) -> int:
    if text is None or text == "":
        if scheme in DEFAULT_PORTS:
            return DEFAULT_PORTS[scheme]
        raise ValueError(f"{given!r} names no port")
    if not text.isdigit():
        raise ValueError(f"port {text!r} is not a number")
    port = int(text)
    if not 0 <= port <= 65535:
        raise ValueError(f"port {port} out of range (0-65535)")
    return port


def parse_host_port(text: str) -> Endpoint:
    """``host:port`` or ``[v6]:port``: a TCP address to bind."""
    host, sep, port = text.rpartition(":")
    if not sep or not host:
        raise ValueError(f"{text!r} is not host:port")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    elif ":" in host:
        raise ValueError(f"{text!r}: write an IPv6 address in brackets, [::1]:8080")
    return Endpoint("", host, _port(port, "", text))


def parse_endpoint(text: str, schemes: frozenset[str]) -> Endpoint:
    """A URL whose scheme is one of ``schemes``; ValueError with a clear message otherwise."""
    if text.startswith("/") and "path" in schemes:
        return Endpoint("path", "", 0, text)
    parts = urlsplit(text)
    scheme = parts.scheme.lower()
    if scheme not in schemes:
        wanted = ", ".join(sorted(f"{s}://" for s in schemes if s != "path"))
        raise ValueError(f"{text!r}: use {wanted}" + (" or a path" if "path" in schemes else ""))
    if scheme == "file":
        path = parts.path if parts.netloc in ("", "localhost") else ""
        if not path:
            raise ValueError(f"{text!r} names no file")
        return Endpoint("file", "", 0, path)
    try:
        host = parts.hostname or ""
        port_text = parts.netloc.rpartition(":")[2] if parts.port is not None else None
    except ValueError as exc:  # urllib: "Port out of range 0-65535"
        raise ValueError(f"{text!r}: {_port_problem(parts.netloc)}") from exc
    if not host:
        raise ValueError(f"{text!r} names no host")
    if parts.username or parts.password:
        raise ValueError(f"{text!r}: no user or password in an address; use the *_file keys")
    options: dict[str, Any] = dict(parse_qsl(parts.query, keep_blank_values=True))
    return Endpoint(
        scheme, host, _port(port_text, scheme, text), parts.path, MappingProxyType(options)
    )


def _port_problem(netloc: str) -> str:
    text = netloc.rpartition(":")[2]
    try:
        _port(text, "", netloc)
    except ValueError as problem:
        return str(problem)
    return f"bad port {text!r}"
