"""The proxy: wire formats, upstream client, the request pipeline and client keys."""
