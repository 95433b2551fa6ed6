"""The history's short tag for pass-through endpoints (no policy ran)."""

from __future__ import annotations

import pytest

from activity.templatetags.activity_tags import pass_through_tag


@pytest.mark.parametrize(
    ("endpoint", "tag"),
    [
        ("/v1/messages/count_tokens", "count_tokens"),
        ("/v1/responses/{id}", "responses/{id}"),
        ("/v1/responses/{id}/cancel", "responses/{id}/cancel"),
        ("/v1/responses/{id}/input_items", "responses/{id}/input_items"),
        ("/v1/responses", ""),
        ("/v1/chat/completions", ""),
    ],
)
def test_pass_through_tag(endpoint: str, tag: str) -> None:
    assert pass_through_tag(endpoint) == tag
