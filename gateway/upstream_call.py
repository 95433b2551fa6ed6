"""Open the upstream call and map transport failures to the gateway's errors."""

from __future__ import annotations

import asyncio
import time

import httpx
from django.conf import settings

from gateway import circuit
from gateway.timing import RequestClock
from wire.egress.failures import UpstreamTlsError
from wire.errors import UpstreamError, UpstreamTimeout, UpstreamUnavailable
from wire.http_client import http_client


def map_transport_error(
    error: httpx.HTTPError, upstream: str, *, mid_response: bool = False
) -> UpstreamTimeout | UpstreamUnavailable:
    """The gateway error for an httpx failure (`mid_response`: while reading the body).

    Outbound proxy and TLS failures (`wire.egress.failures`) carry their own explanation,
    which the client gets too: what failed and which setting fixes it."""
    kind = type(error).__name__
    if isinstance(error, httpx.TimeoutException):
        return UpstreamTimeout(f"upstream {upstream!r} timed out ({kind})")
    if isinstance(error, (httpx.ProxyError, UpstreamTlsError)):
        return UpstreamUnavailable(f"upstream {upstream!r} is unreachable: {error}")
    if mid_response:
        return UpstreamUnavailable(
            f"upstream {upstream!r} dropped the connection mid-response ({kind})"
        )
    return UpstreamUnavailable(f"upstream {upstream!r} is unreachable ({kind})")


async def open_upstream(
    *, url: str, body: bytes, headers: dict[str, str], upstream: str, method: str = "POST"
) -> httpx.Response:
    """Send the request and return the open (streaming) response with a 2xx status.

    Fails fast with UpstreamCircuitOpen (503) while the upstream's circuit is open
    (`gateway.circuit`); every outcome is reported to the breaker. Raises UpstreamError with
    the upstream's own status and body for an error status, and UpstreamTimeout /
    UpstreamUnavailable for transport failures. The read timeout also bounds the wait for the
    response headers (every transport, the in-process mock's included, applies it there).
    """
    guard = circuit.breaker(upstream) if circuit.enabled() else None
    if guard is not None:
        guard.before_call(circuit.now())
    client = http_client()
    request = client.build_request(method, url, content=body, headers=headers)
    try:
        response = await client.send(request, stream=True)
    except httpx.HTTPError as error:
        if guard is not None and not isinstance(error, httpx.PoolTimeout):
            guard.failure(circuit.now())
        raise map_transport_error(error, upstream) from error
    except BaseException:  # cancelled: no verdict on the upstream
        if guard is not None:
            guard.release()
        raise
    if guard is not None:
        if response.status_code >= 500:
            guard.failure(circuit.now())
        else:
            guard.success()
    if response.status_code >= 400:
        try:
            content = await response.aread()
        except httpx.HTTPError:
            content = b""
        finally:
            await response.aclose()
        raise UpstreamError(
            response.status_code,
            content,
            response.headers.get("content-type", "application/json"),
        )
    return response


async def read_body(response: httpx.Response, upstream: str, clock: RequestClock) -> bytes:
    """Read a whole response body within what remains of the call's total time limit
    (`LUTHIEN_UPSTREAM_TOTAL_TIMEOUT_S` since `clock.started`); the wait counts as upstream
    time on `clock`, also when reading fails."""
    started = time.perf_counter()
    time_left_s = settings.LUTHIEN_UPSTREAM_TOTAL_TIMEOUT_S - (started - clock.started)
    try:
        async with asyncio.timeout(max(0.0, time_left_s)):
            return await response.aread()
    except TimeoutError as error:
        raise UpstreamTimeout(f"upstream {upstream!r} exceeded the total time limit") from error
    except httpx.HTTPError as error:
        raise map_transport_error(error, upstream, mid_response=True) from error
    finally:
        clock.upstream_wait += time.perf_counter() - started
        await response.aclose()
