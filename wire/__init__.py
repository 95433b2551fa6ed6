"""Wire: what travels between clients, the gateway and upstreams, with no Django app of its own.

The lowest layer: it imports nothing from `policies`, `activity` or `gateway`. Public modules:

- `wire.neutral`: the neutral model every codec decodes into and every policy reads.
- `wire.codecs`: one codec per client/upstream format (`codec_for`).
- `wire.errors`: gateway errors and how each is answered in a client's format.
- `wire.routes`: the `/v1/` route table; `wire.upstreams`: which upstream serves a model.
- `wire.headers`: which headers cross the gateway; `wire.sse`: server-sent events.
- `wire.http_client`: the shared upstream HTTP client (`wire.http11`, `wire.egress` behind it).
- `wire.mock`: the built-in mock upstream.
"""
