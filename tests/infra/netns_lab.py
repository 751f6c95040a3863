"""Several "hosts" on one machine: Linux network namespaces joined by a virtual switch.

Each host is a network namespace with one veth link to a bridge in a hub namespace, and
an address in 198.18.0.0/24 (RFC 2544's range for benchmarking networks: never routed,
and here it exists only inside these namespaces). `cut(host)` detaches that host's link
from the bridge, so its packets vanish like on a pulled cable (no reset, no error:
peers only notice through their own timeouts); `restore(host)` plugs it back.

Needs root and iproute2; `unavailable_reason()` says why not when it cannot work.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from typing import Optional

SUBNET = "198.18.0"


def _ip(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    # Interface names always follow `name`: a bare short one ("a", "br") reads as a keyword.
    return subprocess.run(["ip", *args], capture_output=True, text=True, timeout=30, check=check)


def unavailable_reason() -> Optional[str]:
    """None when network namespaces can be made here, else why not."""
    if shutil.which("ip") is None:
        return "iproute2's `ip` is not installed"
    if os.geteuid() != 0:
        return "network namespaces need root"
    probe = f"slprobe{os.getpid()}"
    made = _ip("netns", "add", probe, check=False)
    if made.returncode != 0:
        return f"`ip netns add` failed: {made.stderr.strip()}"
    try:
        veth = _ip("-n", probe, "link", "add", "name", "pa", "type", "veth", "peer", "name", "pb", check=False)
        if veth.returncode != 0:
            return f"cannot create veth links: {veth.stderr.strip()}"
        bridge = _ip("-n", probe, "link", "add", "name", "br0", "type", "bridge", check=False)
        if bridge.returncode != 0:
            return f"cannot create a bridge: {bridge.stderr.strip()}"
    finally:
        _ip("netns", "del", probe, check=False)
    return None


class NetnsLab:
    """Hosts on a virtual switch. Use as a context manager: everything is removed on exit."""

    def __init__(self, tag: str | None = None):
        self.tag = tag or f"sl{os.getpid() % 100000}"
        self.hub = f"{self.tag}-hub"
        self.hosts: dict[str, str] = {}  # name -> address
        self._namespaces: list[str] = []

    def __enter__(self) -> "NetnsLab":
        self._add_namespace(self.hub)
        _ip("-n", self.hub, "link", "add", "name", "br0", "type", "bridge")
        _ip("-n", self.hub, "link", "set", "br0", "up")
        return self

    def __exit__(self, *exc) -> None:
        for namespace in reversed(self._namespaces):
            _ip("netns", "del", namespace, check=False)

    def _add_namespace(self, name: str) -> None:
        _ip("netns", "add", name)
        self._namespaces.append(name)
        _ip("-n", name, "link", "set", "lo", "up")

    def namespace(self, host: str) -> str:
        return f"{self.tag}-{host}"

    def _port(self, host: str) -> str:
        # Interface names are at most 15 characters; hosts are numbered in the hub.
        return f"p{list(self.hosts).index(host)}"

    def add_host(self, host: str) -> str:
        """A new host on the switch; returns its address."""
        address = f"{SUBNET}.{len(self.hosts) + 1}"
        self.hosts[host] = address
        namespace = self.namespace(host)
        self._add_namespace(namespace)
        port = self._port(host)
        _ip("-n", self.hub, "link", "add", "name", port, "type", "veth", "peer", "name", "eth0", "netns", namespace)
        _ip("-n", self.hub, "link", "set", port, "master", "br0")
        _ip("-n", self.hub, "link", "set", port, "up")
        _ip("-n", namespace, "addr", "add", f"{address}/24", "dev", "eth0")
        _ip("-n", namespace, "link", "set", "eth0", "up")
        return address

    def command(self, host: str, argv: list[str]) -> list[str]:
        """`argv` run inside `host`'s namespace (ip netns exec execs it: same pid)."""
        return ["ip", "netns", "exec", self.namespace(host), *argv]

    def cut(self, host: str) -> None:
        _ip("-n", self.hub, "link", "set", self._port(host), "nomaster")

    def restore(self, host: str) -> None:
        _ip("-n", self.hub, "link", "set", self._port(host), "master", "br0")
