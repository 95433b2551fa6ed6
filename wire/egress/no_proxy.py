"""`NoProxy`: which upstream hosts a `NO_PROXY` value sends direct, as curl and Go read it.

Entries are separated by commas (or spaces) and compared case-insensitively:

    *                  every host
    example.com        example.com and every subdomain (api.example.com), not notexample.com
    .example.com       the same (a leading `.` or `*.` is ignored)
    example.com:8443   that host (and its subdomains) on port 8443 only
    10.1.2.3, ::1      that IP address (names are never resolved to compare)
    10.0.0.0/8         any IP address in the block
    [::1]:8080         an IPv6 address with a port

Empty entries are ignored; an entry that is none of these is compared as a host name.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

_IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
_IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
_SEPARATORS = re.compile(r"[,\s]+")


@dataclass(frozen=True, slots=True)
class _Rule:
    """One entry: a domain suffix or an IP network, optionally limited to one port."""

    domain: str | None
    network: _IPNetwork | None
    port: int | None

    def matches(self, host: str, address: _IPAddress | None, port: int) -> bool:
        if self.port is not None and self.port != port:
            return False
        if self.network is not None:
            return address is not None and address in self.network
        assert self.domain is not None
        return host == self.domain or host.endswith("." + self.domain)


@dataclass(frozen=True, slots=True)
class NoProxy:
    """The parsed exemptions of one `NO_PROXY` value."""

    everything: bool
    rules: tuple[_Rule, ...]

    def matches(self, host: str, port: int) -> bool:
        """Whether a call to `host:port` bypasses the proxy."""
        if self.everything:
            return True
        if not self.rules:
            return False
        name = normalise_host(host)
        address = _ip(name)
        return any(rule.matches(name, address, port) for rule in self.rules)


def parse_no_proxy(value: str) -> NoProxy:
    """Parse a `NO_PROXY` value (see the module docstring)."""
    entries = [entry for entry in _SEPARATORS.split(value.strip().lower()) if entry]
    if "*" in entries:
        return NoProxy(everything=True, rules=())
    return NoProxy(everything=False, rules=tuple(_rule(entry) for entry in entries))


def normalise_host(host: str) -> str:
    """Lower case, without IPv6 brackets or a trailing dot."""
    return host.strip().lower().removeprefix("[").removesuffix("]").rstrip(".")


def _rule(entry: str) -> _Rule:
    host, port = _split_port(entry)
    network = _network(host)
    if network is not None:
        return _Rule(domain=None, network=network, port=port)
    domain = host.removeprefix("*").removeprefix(".").rstrip(".")
    return _Rule(domain=domain, network=None, port=port)


def _split_port(entry: str) -> tuple[str, int | None]:
    """`host:port`, `[v6]:port`, `[v6]`, a bare IPv6 address, or a bare host."""
    if entry.startswith("["):
        host, _, rest = entry[1:].partition("]")
        port_text = rest.removeprefix(":")
        return host, int(port_text) if port_text.isdigit() else None
    if entry.count(":") == 1:
        host, _, port_text = entry.partition(":")
        if port_text.isdigit():
            return host, int(port_text)
    return entry, None


def _network(text: str) -> _IPNetwork | None:
    try:
        return ipaddress.ip_network(text, strict=False)
    except ValueError:
        return None


def _ip(host: str) -> _IPAddress | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None
