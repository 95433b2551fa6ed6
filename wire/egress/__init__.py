"""Outbound connections to upstreams: which proxy (if any) and which TLS trust.

    proxy_url.py    `ProxyURL`: a parsed `http://[user:password@]host[:port]` proxy address
    no_proxy.py     `NoProxy`: the hosts a `NO_PROXY` value exempts from the proxy
    selection.py    `ProxySelection`: the proxy for one upstream origin, from the settings
    tls.py          the one SSL context every upstream and judge connection verifies with
    failures.py     the exceptions and messages of proxy and TLS failures
    httpx_router.py `ProxyRouter`: the httpx transport choice with per-origin proxies
    transports.py   `upstream_transport()`: the transport of the upstream and judge clients

The proxy of each origin is decided once, when a client first calls it, never per request.
"""
