"""Activity: transaction log models, the recorder, live broadcast and history pages.

The top app: reads `wire`, `policies` and `gateway`; registers its recorder and broadcast with
`gateway.taps` at start-up. Public modules, for `luthien_site`: `activity.recorder`,
`activity.broadcast`, `activity.audience`, `activity.consumers`, `activity.api`.
"""
