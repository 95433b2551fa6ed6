"""`ProxySelection`: which proxy, if any, serves calls to one upstream origin.

Built once from the settings (`proxy_selection`), asked once per origin by the transports:

- `LUTHIEN_UPSTREAM_PROXY` wins when set: `none` sends every call direct whatever the standard
  variables say; a URL sends every call (http and https upstreams) through that proxy. Empty
  counts as unset.
- Otherwise `HTTPS_PROXY` serves https upstreams and `HTTP_PROXY` http upstreams (the lower
  case names win over the upper case ones, as curl reads them). Loopback hosts (`localhost`,
  `*.localhost`, 127.0.0.0/8, ::1) are never sent to a proxy taken from these machine-wide
  variables, as Go's net/http does: the local mock or a local model server keeps working when
  the whole machine is set up for a corporate proxy.
- `NO_PROXY` (see `no_proxy`) exempts hosts from either kind of proxy.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from wire.egress.no_proxy import NoProxy, normalise_host, parse_no_proxy
from wire.egress.proxy_url import ProxyURL, parse_proxy_url

NO_PROXY_OVERRIDE = "none"
NO_EXEMPTIONS = NoProxy(everything=False, rules=())


class ProxyConfigError(ValueError):
    """A proxy setting cannot be used; the message names the variable, never its value."""


@dataclass(frozen=True, slots=True)
class ProxySelection:
    """The proxies of each scheme and the exemptions."""

    https: ProxyURL | None = None
    http: ProxyURL | None = None
    no_proxy: NoProxy = NO_EXEMPTIONS
    loopback_direct: bool = True  # proxies from the machine-wide variables skip loopback hosts

    def proxy_for(self, scheme: str, host: str, port: int) -> ProxyURL | None:
        """The proxy a call to `scheme://host:port` goes through (None: direct)."""
        proxy = self.https if scheme == "https" else self.http if scheme == "http" else None
        if proxy is None:
            return None
        if self.loopback_direct and is_loopback(host):
            return None
        if self.no_proxy.matches(host, port):
            return None
        return proxy


DIRECT = ProxySelection()


def proxy_selection(*, override: str, https: str, http: str, no_proxy: str) -> ProxySelection:
    """The selection for these raw setting values (see the module docstring).

    Raises `ProxyConfigError` naming the variable whose URL cannot be used.
    """
    exemptions = parse_no_proxy(no_proxy)
    override = override.strip()
    if override.lower() == NO_PROXY_OVERRIDE:
        return DIRECT
    if override:
        proxy = _parse("LUTHIEN_UPSTREAM_PROXY", override)
        return ProxySelection(proxy, proxy, exemptions, loopback_direct=False)
    return ProxySelection(
        _parse("HTTPS_PROXY", https) if https.strip() else None,
        _parse("HTTP_PROXY", http) if http.strip() else None,
        exemptions,
        loopback_direct=True,
    )


def is_loopback(host: str) -> bool:
    """`localhost`, a `.localhost` name, or a loopback IP address."""
    name = normalise_host(host)
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def _parse(variable: str, value: str) -> ProxyURL:
    try:
        return parse_proxy_url(value)
    except ValueError as error:
        raise ProxyConfigError(f"{variable} {error}") from None
