"""The `/v1/models` listing."""

from __future__ import annotations

from typing import Any

from gateway.mock.spec import BEHAVIOURS
from gateway.upstreams import upstreams


def model_list() -> dict[str, Any]:
    """OpenAI list shape: mock models plus one `<upstream>/*` entry per upstream."""
    data = [
        {"id": f"mock/{name}", "object": "model", "owned_by": "luthien-mock", "created": 0}
        for name in BEHAVIOURS
    ]
    data += [
        {"id": f"{name}/*", "object": "model", "owned_by": name, "created": 0}
        for name in upstreams()
        if name != "mock"
    ]
    return {"object": "list", "data": data}
