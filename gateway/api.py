"""The proxy API (django-ninja): the Django entry to `/v1/`, for the OpenAPI docs and Django's
test client. Production traffic takes the ASGI lane (`gateway.asgi_lane`); both hand the raw
request to `gateway.dispatch`, which answers from the route table (`wire.routes`).

The documented operations below are the served routes; hidden operations send every other
method on those paths, and every other path under `/v1/`, to the same dispatcher, which answers
405 or 404 in the client's format instead of ninja's plain-text 405 or Django's HTML 404.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from ninja import Router

from gateway.dispatch import dispatch
from gateway.proxy_response import ProxyResponse
from wire.routes import ROUTES

router = Router(tags=["proxy"])
Response = HttpResponse | StreamingHttpResponse
ALL_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")

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


async def _dispatch(request: HttpRequest) -> Response:
    method = request.method or "GET"
    answer = await dispatch(request, method=method, query=request.META.get("QUERY_STRING", ""))
    return as_django_response(answer)


def as_django_response(answer: ProxyResponse) -> Response:
    """The gateway's answer as a Django response (the same status, headers and bytes)."""
    response: Response
    if answer.stream is not None:
        response = StreamingHttpResponse(answer.stream)
    else:
        response = HttpResponse(answer.body, status=answer.status)
    response.status_code = answer.status
    for name, value in answer.headers.items():
        response[name] = value
    return response


@router.post(
    "/chat/completions",
    summary="OpenAI Chat Completions (streaming and not)",
    openapi_extra=_BODY_DOC,
)
async def chat_completions(request: HttpRequest) -> Response:
    """OpenAI-format call; `model` picks the upstream (see routing in the README)."""
    return await _dispatch(request)


@router.post("/messages", summary="Anthropic Messages (streaming and not)", openapi_extra=_BODY_DOC)
async def messages(request: HttpRequest) -> Response:
    """Anthropic-format call."""
    return await _dispatch(request)


@router.post(
    "/messages/count_tokens",
    summary="Anthropic token count (pass-through, no policy)",
    openapi_extra=_BODY_DOC,
)
async def count_tokens(request: HttpRequest) -> Response:
    """Forwarded to the Anthropic-format upstream the model routes to; recorded."""
    return await _dispatch(request)


@router.post(
    "/responses",
    summary="OpenAI Responses (streaming and not)",
    openapi_extra=_BODY_DOC,
)
async def responses(request: HttpRequest) -> Response:
    """OpenAI Responses call through the policy; `model` picks the upstream."""
    return await _dispatch(request)


@router.get(
    "/responses/{path:response_id}",
    summary="A stored response, or its input items (pass-through, no policy)",
)
async def stored_response(request: HttpRequest, response_id: str) -> Response:
    """`GET /v1/responses/{id}` and `GET /v1/responses/{id}/input_items`; also
    `DELETE /v1/responses/{id}` and `POST /v1/responses/{id}/cancel`. Forwarded to the `openai`
    upstream; recorded."""
    return await _dispatch(request)


@router.get("/models", summary="Models the gateway can route")
async def models(request: HttpRequest) -> Response:
    """OpenAI list, or the Anthropic page when the client sends `anthropic-version` or
    `x-api-key` (`limit`, `after_id`, `before_id`)."""
    return await _dispatch(request)


@router.get("/models/{path:model_id}", summary="One model")
async def model(request: HttpRequest, model_id: str) -> Response:
    """One listed model in the client's shape; 404 when not listed."""
    return await _dispatch(request)


async def _elsewhere(request: HttpRequest) -> Response:
    return await _dispatch(request)


async def _elsewhere_with_id(request: HttpRequest, model_id: str) -> Response:
    return await _dispatch(request)


async def _elsewhere_with_response_id(request: HttpRequest, response_id: str) -> Response:
    return await _dispatch(request)


async def _unknown_path(request: HttpRequest, rest: str) -> Response:
    return await _dispatch(request)


for _route in ROUTES:
    _path = _route.path.removeprefix("/v1")
    _view: Callable[..., Awaitable[Response]] = _elsewhere_with_id if _route.prefix else _elsewhere
    _param = "{path:model_id}"
    if _route.handler == "stored_response":
        _view, _param = _elsewhere_with_response_id, "{path:response_id}"
    _others = [method for method in ALL_METHODS if method != _route.methods[0]]
    _path += _param if _route.prefix else ""
    router.add_api_operation(_path, _others, _view, include_in_schema=False)
router.add_api_operation("/", list(ALL_METHODS), _elsewhere, include_in_schema=False)
router.add_api_operation("/{path:rest}", list(ALL_METHODS), _unknown_path, include_in_schema=False)
