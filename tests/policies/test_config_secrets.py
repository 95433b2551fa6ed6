"""Which config values are secrets, masking them, and keeping them on a masked round trip."""

from __future__ import annotations

from typing import Any

import pytest

from policies.base import PolicyConfigSchema
from policies.builtin.tool_judge import ToolJudgePolicy
from policies.config_secrets import (
    MASK,
    MaskedSecretMissing,
    config_keep_secrets,
    config_mask,
    schema_secret_paths,
    secret_paths,
)

JUDGE = {"base_url": "https://judge.example/v1", "model": "m", "api_key": "sk-judge-1"}


def test_schema_marked_secret_is_masked_and_nothing_else() -> None:
    config = {**JUDGE, "threshold": 0.5, "api_key_env": None}
    masked = config_mask("tool-judge", config)
    assert masked == {**config, "api_key": MASK}
    assert config["api_key"] == "sk-judge-1"  # the original is left alone


@pytest.mark.parametrize("value", [None, ""])
def test_an_unset_secret_is_shown_unset(value: Any) -> None:
    assert config_mask("rules-judge", {"api_key": value}) == {"api_key": value}


def test_judges_inside_a_chain_are_masked() -> None:
    config = {
        "members": [
            {"policy": "all-caps", "config": {}},
            {"policy": "tool-judge", "config": JUDGE},
            {"policy": "rules-judge", "config": {**JUDGE, "api_key": "sk-judge-2"}},
        ]
    }
    masked = config_mask("chain", config)
    assert [m["config"].get("api_key") for m in masked["members"]] == [None, MASK, MASK]
    assert masked["members"][1]["config"]["base_url"] == JUDGE["base_url"]


def test_credential_names_are_secrets_where_the_schema_says_nothing() -> None:
    config = {
        "api_key": "a",
        "token": "b",
        "db_password": "c",
        "client-secret": "d",
        "openai_key": "e",
        "api_key_env": "MY_KEY",
        "max_tokens": 5,
        "keyboard": "f",
        "nested": [{"auth_token": "g", "name": "h"}],
    }
    masked = config_mask("no-such-class", config)
    assert masked == {
        **config,
        "api_key": MASK,
        "token": MASK,
        "db_password": MASK,
        "client-secret": MASK,
        "openai_key": MASK,
        "nested": [{"auth_token": MASK, "name": "h"}],
    }


def test_unknown_chain_member_falls_back_to_names() -> None:
    config = {"members": [{"policy": "gone", "config": {"password": "p", "x": "y"}}]}
    assert config_mask("chain", config)["members"][0]["config"] == {"password": MASK, "x": "y"}


def test_keys_of_a_typed_map_are_data_not_field_names() -> None:
    config = {"replacements": {"token": "TOKEN", "password": "hunter2"}}
    assert config_mask("string-replace", config) == config


def test_round_trip_keeps_the_stored_secret() -> None:
    stored = {"members": [{"policy": "tool-judge", "config": JUDGE}]}
    sent = config_mask("chain", stored)
    sent["members"][0]["config"]["threshold"] = 0.9
    kept = config_keep_secrets("chain", sent, stored)
    assert kept["members"][0]["config"] == {**JUDGE, "threshold": 0.9}


def test_a_new_secret_replaces_the_stored_one() -> None:
    sent = {**JUDGE, "api_key": "sk-new"}
    assert config_keep_secrets("tool-judge", sent, JUDGE) == sent


def test_mask_without_a_stored_secret_is_refused() -> None:
    with pytest.raises(MaskedSecretMissing) as caught:
        config_keep_secrets("tool-judge", {**JUDGE, "api_key": MASK}, None)
    assert caught.value.paths == [("api_key",)]
    with pytest.raises(MaskedSecretMissing):
        config_keep_secrets("tool-judge", {**JUDGE, "api_key": MASK}, {**JUDGE, "api_key": None})


def test_secret_paths_are_listed_once() -> None:
    config = {"members": [{"policy": "tool-judge", "config": JUDGE}]}
    assert list(secret_paths("chain", config)) == [("members", 0, "config", "api_key")]


def test_a_judge_config_embedded_in_another_config_is_found_by_its_schema() -> None:
    class Preset(PolicyConfigSchema):
        judge: ToolJudgePolicy.Config | None = None
        judges: list[ToolJudgePolicy.Config] = []

    config = {"judge": JUDGE, "judges": [JUDGE, {"model": "mock/judge"}]}
    found = list(schema_secret_paths(Preset.model_json_schema(), config))
    assert found == [("judge", "api_key"), ("judges", 0, "api_key")]
