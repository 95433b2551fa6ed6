"""The proxy API (django-ninja): thin endpoints that hand the raw request to the pipeline."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from ninja import Router

from gateway.models_list import model_list
from gateway.pipeline import proxy

router = Router(tags=["proxy"])

_BODY_DOC: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {"type": "object", "additionalProperties": True},
            }
        },
        "description": "The provider's own request body; every field passes through.",
    }
}


@router.post(
    "/chat/completions",
    summary="OpenAI Chat Completions (streaming and not)",
    openapi_extra=_BODY_DOC,
)
async def chat_completions(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    """OpenAI-format call; `model` picks the upstream (see routing in the README)."""
    return await proxy(request, "openai")


@router.post("/messages", summary="Anthropic Messages (streaming and not)", openapi_extra=_BODY_DOC)
async def messages(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    """Anthropic-format call."""
    return await proxy(request, "anthropic")


@router.get("/models", summary="Models the gateway can route")
async def models(request: HttpRequest) -> dict[str, Any]:
    """OpenAI-style model list: the built-in mock models and the configured upstream prefixes."""
    return model_list()
