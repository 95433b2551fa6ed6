"""A lean HTTP/1.1 client transport for `httpx`: event-driven keep-alive pool, C parser.

`transport.Http11Transport` is what `wire.http_client` mounts for upstream calls;
`pool.Http11Pool` keeps connections per origin; `connection.Http11Connection` is one socket.
"""
