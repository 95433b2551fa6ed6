"""System checks: broken policy classes, an invalid `POLICY_CONFIG` file, and entries of
`LUTHIEN_JUDGE_ALLOWED_HOSTS` that are not `host` or `host:port`."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, register

from policies.base import Policy, PolicyConfigSchema


@register()
def check_policy_classes(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Every registered class has a name, a PolicyConfigSchema config and a buildable default."""
    from policies.registry import registry

    errors: list[CheckMessage] = []
    for cls in registry().classes():
        where = f"{cls.__module__}.{cls.__qualname__}"
        if not issubclass(cls.Config, PolicyConfigSchema):
            errors.append(
                Error(f"{where}.Config must subclass PolicyConfigSchema", id="policies.E001")
            )
            continue
        if not cls.description:
            errors.append(Error(f"{where} has no description", id="policies.E002"))
        try:
            cls.Config.model_json_schema()
            if cls.example_config:
                cls.Config.model_validate(cls.example_config)
        except Exception as error:
            errors.append(Error(f"{where}: config schema broken: {error}", id="policies.E003"))
        if cls.on_tool_call is not Policy.on_tool_call and cls.streaming_mode == 0:
            errors.append(
                Error(
                    f"{where} overrides on_tool_call but its streaming_mode is PASS_THROUGH, "
                    "so the hook would never run",
                    id="policies.E004",
                )
            )
    return errors


@register()
def check_policy_file(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """`POLICY_CONFIG`, when set, names a readable, valid policy file."""
    if not settings.POLICY_CONFIG:
        return []
    from policies.policy_file import PolicyFileError, load_policy_file

    try:
        load_policy_file(settings.POLICY_CONFIG)
    except PolicyFileError as error:
        return [Error(str(error), id="policies.E010")]
    return []


@register()
def check_judge_allowed_hosts(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Every `LUTHIEN_JUDGE_ALLOWED_HOSTS` entry is `host` or `host:port`."""
    from policies.judge_route import allowed_host_parse

    errors: list[CheckMessage] = []
    for entry in settings.LUTHIEN_JUDGE_ALLOWED_HOSTS:
        try:
            allowed_host_parse(entry)
        except ValueError as error:
            errors.append(Error(f"LUTHIEN_JUDGE_ALLOWED_HOSTS: {error}", id="policies.E011"))
    return errors
