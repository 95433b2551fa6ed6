"""Without any database access the runtime still works: the file, then pass-through."""

from __future__ import annotations

from typing import Any

from policies.runtime import PolicyRuntime


def test_default_is_noop_without_a_database() -> None:
    active = PolicyRuntime().current()
    assert (active.name, active.version, active.source) == ("noop", 0, "default")


def test_file_policy_without_a_database(policy_file: Any) -> None:
    policy_file("policy: all-caps\nname: shouty\n")
    active = PolicyRuntime().current()
    assert (active.name, active.source) == ("shouty", "file")
