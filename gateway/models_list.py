"""The `/v1/models` listing."""

from __future__ import annotations

from typing import Any

from gateway.upstreams import upstreams

MOCK_MODELS = ("echo", "text", "tool", "tools", "text-tool", "thinking", "judge", "error")


def model_list() -> dict[str, Any]:
    """OpenAI list shape: mock models plus one `<upstream>/*` entry per upstream."""
    data = [
        {"id": f"mock/{name}", "object": "model", "owned_by": "luthien-mock", "created": 0}
        for name in MOCK_MODELS
    ]
    data += [
        {"id": f"{name}/*", "object": "model", "owned_by": name, "created": 0}
        for name in upstreams()
        if name != "mock"
    ]
    return {"object": "list", "data": data}
