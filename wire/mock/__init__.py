"""The built-in mock LLM upstream: OpenAI Chat Completions, OpenAI Responses and Anthropic
Messages on the wire.

Pure Python + orjson (no Django), so it runs standalone (`python -m wire.mock --port N`),
under `manage.py mockllm`, or in-process behind httpx (`wire.mock.transport`).

The model name picks the behaviour, ``[mock/]<behaviour>[?option=value&...]``; see
`wire.mock.spec` for the grammar and the behaviour and option tables. Modules:

    spec        model name -> MockSpec
    prompt      request body -> Prompt (the text the mock needs)
    scripts     MockSpec + Prompt -> Script (parts, stop reason, usage); judge: the judge reply
    *_wire      Script -> body / SSE events / error body, per wire format
    pacing      events -> paced async byte stream (delay_ms, abort_after)
    app         handle() and asgi_app
    transport   in-process httpx transport (transport_httpx2 for httpx2 clients)
    server      uvicorn runner used by __main__ and the mockllm command
"""

from wire.mock.app import MockResponse, asgi_app, handle
from wire.mock.errors import MockAbort, MockError, MockSpecError
from wire.mock.spec import BEHAVIOURS, MockSpec, parse_model

__all__ = [
    "BEHAVIOURS",
    "MockAbort",
    "MockError",
    "MockResponse",
    "MockSpec",
    "MockSpecError",
    "asgi_app",
    "handle",
    "parse_model",
]
