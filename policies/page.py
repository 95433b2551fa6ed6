"""What the policy page shows: the current policy, one enable form per class, the test panel."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone

from policies.config_secrets import config_mask
from policies.forms import PolicyEnableForm
from policies.registry import registry
from policies.schema_docs import ModelDoc, schema_docs
from policies.selectors import policy_config_list, policy_current_get

TEST_MODEL = "mock/echo"
TEST_PROMPT = "Hello from the Luthien policy page"


@dataclass(frozen=True, slots=True)
class ClassPanel:
    """One policy class on the page: its docs and its enable form."""

    name: str
    description: str
    streaming_mode: str
    docs: list[ModelDoc]
    form: PolicyEnableForm


def _panel(name: str, bound: PolicyEnableForm | None) -> ClassPanel:
    cls = registry().get(name)
    if bound is not None and bound.data.get("policy_class") == name:
        form = bound
    else:
        initial = {"policy_class": name, "name": name, "config": cls.example_config}
        form = PolicyEnableForm(initial=initial)
    form.auto_id = f"id_{name}_%s"
    return ClassPanel(
        name=name,
        description=cls.description,
        streaming_mode=cls.streaming_mode.name,
        docs=schema_docs(cls.Config.model_json_schema()),
        form=form,
    )


def test_snippets(base_url: str) -> dict[str, str]:
    """A curl line and an OpenAI SDK snippet that send one request to the mock upstream."""
    body = json.dumps({"model": TEST_MODEL, "messages": [{"role": "user", "content": TEST_PROMPT}]})
    curl = (
        f"curl -s {base_url}/chat/completions "
        '-H "Authorization: Bearer $LUTHIEN_API_KEY" -H "Content-Type: application/json" '
        f"-d '{body}'"
    )
    python = (
        "import os\nfrom openai import OpenAI\n\n"
        f'client = OpenAI(base_url="{base_url}", api_key=os.environ["LUTHIEN_API_KEY"])\n'
        "reply = client.chat.completions.create(\n"
        f'    model="{TEST_MODEL}",\n'
        f'    messages=[{{"role": "user", "content": "{TEST_PROMPT}"}}],\n'
        ")\nprint(reply.choices[0].message.content)\n"
    )
    return {"curl": curl, "python": python}


def page_context(request: HttpRequest, bound: PolicyEnableForm | None = None) -> dict[str, Any]:
    """Template context of `/policies/` (with `bound` re-shown when enabling failed)."""
    current = policy_current_get()
    since = current.since or timezone.now()
    return {
        "nav": "policies",
        "current": current,
        "current_config": json.dumps(
            config_mask(current.policy_class, current.config), indent=2, ensure_ascii=False
        ),
        "classes": [_panel(name, bound) for name in registry().names()],
        "saved": list(policy_config_list()),
        "snippets": test_snippets(request.build_absolute_uri("/v1")),
        "detect": {
            "url": reverse("activity:first-for-policy"),
            "policy": current.name,
            "version": current.version,
            "after": since.isoformat(),
        },
    }
