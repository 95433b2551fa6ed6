"""The proxy: the request pipeline, client keys, and each transaction's record.

Depends on `wire` and `policies`; imports no app above it (`activity` observes transactions
through `gateway.taps`). Public modules, for the apps above:

- `gateway.transaction_record`: what the pipeline knows about one call (`TransactionRecord`).
- `gateway.taps`: register a transaction observer (`observer_add`).
- `gateway.models`: client API keys.
- `gateway.asgi_lane`, `gateway.api`: the two entry paths under `/v1/`.
"""
