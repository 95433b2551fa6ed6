"""`python -m bench`: measure what the gateway adds on top of talking to the upstream directly.

The mock upstream (`python -m gateway.mock`) and the gateway (uvicorn) run as separate processes
pinned to different CPUs; a lean keep-alive HTTP/1.1 client (`bench.loadgen`) sends each scenario
twice, DIRECT (client → mock) and THROUGH (client → gateway → mock), and `bench.report` prints
the difference next to the targets. See `docs/performance.md`.

    __main__.py    the command line
    processes.py   start, pin, wait for, measure (CPU time, peak RSS) and stop the servers
    loadgen.py     the HTTP client, the two load shapes (latency, throughput) and their stats
    scenarios.py   what is measured, and the run that ties processes and load together
    report.py      the table, the targets, the JSON
"""
