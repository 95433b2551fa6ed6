"""`python -m bench`: measure what the gateway adds on top of talking to the upstream directly.

The mock upstream (`python -m wire.mock`) and the gateway (uvicorn) run as separate processes
pinned to different CPUs; a lean keep-alive HTTP/1.1 client (`bench.loadgen`) sends each scenario
twice, DIRECT (client → mock) and THROUGH (client → gateway → mock), and `bench.report` prints
the difference next to the targets. See `docs/performance.md`.

    __main__.py    the command line
    processes.py   start, pin, wait for, measure (CPU time, peak RSS) and stop a server
    servers.py     the mock upstream and the gateway: commands, environment, CPUs
    loadgen.py     the HTTP client and the two load shapes (latency, throughput)
    stats.py       percentiles, throughput and CPU per request from a load run
    scenarios.py   what is measured: scenarios, budgets, requests, result records
    runner.py      the run that ties servers and load together
    report.py      the table, the targets, the JSON
    policies/      ready POLICY_CONFIG files for `--policy-file`
"""
