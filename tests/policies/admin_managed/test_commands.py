"""Management commands: policy_enable and policy_list."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from policies.models import PolicyConfig, PolicyConfigHistory

pytestmark = pytest.mark.django_db(transaction=True)


def _run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_policy_enable_and_list() -> None:
    out = _run(
        "policy_enable",
        "--class",
        "string-replace",
        "--config",
        '{"replacements": {"a": "b"}}',
        "--name",
        "rep",
    )
    assert "rep (string-replace) v1 is now active." in out
    row = PolicyConfig.objects.get(is_active=True)
    assert row.config == {"replacements": {"a": "b"}}
    assert PolicyConfigHistory.objects.filter(actor="manage.py policy_enable").count() == 2
    listing = _run("policy_list")
    assert "* rep  string-replace  v1" in listing and "in force: rep v1 (database)" in listing
    assert "all-caps:" in _run("policy_list", "--classes")


def test_policy_enable_reports_field_paths() -> None:
    with pytest.raises(CommandError, match=r"config\.threshold"):
        _run("policy_enable", "--class", "tool-judge", "--config", '{"threshold": "x"}')
    with pytest.raises(CommandError, match="not valid JSON"):
        _run("policy_enable", "--class", "noop", "--config", "{")
    assert not PolicyConfig.objects.exists()
