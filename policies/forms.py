"""Forms for saved policies: the admin form and the policy page's "enable" form.

Both validate through `policy_spec_validate`, the same as the admin API and the YAML file, and
put each error next to its field, with the path inside the config (`config.threshold: …`).
The config editor never shows a secret, stored or just typed: it shows `••••`, and `••••` sent
back keeps the stored secret.
"""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.template.loader import render_to_string

from policies.config_secrets import config_mask
from policies.models import PolicyConfig
from policies.policy_file import PolicySpec
from policies.registry import registry
from policies.schema_docs import schema_docs
from policies.selectors import policy_config_stored
from policies.validation import PolicyValidationError, policy_spec_validate


def class_choices() -> list[tuple[str, str]]:
    """Registered policy classes as form choices."""
    return [(name, name) for name in registry().names()]


def config_help(class_names: list[str]) -> str:
    """HTML field docs (escaped by the template) of the given classes' configs."""
    classes = [
        {
            "name": name,
            "description": registry().get(name).description,
            "docs": schema_docs(registry().get(name).Config.model_json_schema()),
            "example": json.dumps(registry().get(name).example_config, indent=2),
        }
        for name in class_names
    ]
    return render_to_string("policies/schema_help.html", {"classes": classes})


class PrettyJSONField(forms.JSONField):
    """A JSON form field shown indented, for editing by hand; with `mask_class` set, the
    secrets of that policy class's config are shown as `••••`."""

    mask_class: str | None = None

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, forms.fields.InvalidJSONInput):
            return value
        if self.mask_class is not None:
            value = config_mask(self.mask_class, value)
        return json.dumps(value, indent=2, ensure_ascii=False, cls=self.encoder)


def _config_field(form: forms.BaseForm) -> PrettyJSONField:
    field = form.fields["config"]
    assert isinstance(field, PrettyJSONField)
    return field


def add_spec_errors(form: forms.BaseForm, error: PolicyValidationError) -> None:
    """Attach each validation error to its form field (or the form), with its config path."""
    for item in error.errors:
        field = item.loc[0] if item.loc and item.loc[0] in form.fields else None
        message = f"{item.path}: {item.msg}" if len(item.loc) > 1 else item.msg
        form.add_error(str(field) if field else None, message)


class PolicyConfigForm(forms.ModelForm):
    """Admin form: class choice, a JSON editor for the config, validated against the schema."""

    policy_class = forms.ChoiceField(choices=class_choices)
    config = PrettyJSONField(
        required=False,
        initial=dict,
        widget=forms.Textarea(attrs={"rows": 14, "cols": 90, "spellcheck": "false"}),
        help_text="A JSON object, validated against the class's config schema.",
    )

    class Meta:
        model = PolicyConfig
        fields = ["name", "policy_class", "description", "config"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.spec: PolicySpec | None = None
        names = [self.instance.policy_class] if self.instance.pk else registry().names()
        names = [name for name in names if name in registry().names()]
        self.fields["config"].help_text = config_help(names)
        _config_field(self).mask_class = self.data.get(
            self.add_prefix("policy_class"), self.instance.policy_class
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.errors:
            return data
        name = self.instance.name if self.instance.pk else data.get("name", "")
        try:
            self.spec = policy_spec_validate(
                name=name,
                policy_class=data.get("policy_class", ""),
                config=data.get("config") if data.get("config") is not None else {},
                description=data.get("description", ""),
                stored_config=self.instance.config if self.instance.pk else None,
            )
        except PolicyValidationError as error:
            add_spec_errors(self, error)
        return data


class PolicyEnableForm(forms.Form):
    """The policy page: enable one class with a config (JSON) under a name."""

    policy_class = forms.ChoiceField(choices=class_choices, widget=forms.HiddenInput)
    name = forms.CharField(max_length=100, required=False)
    config = PrettyJSONField(
        required=False, widget=forms.Textarea(attrs={"rows": 8, "cols": 70, "spellcheck": "false"})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _config_field(self).mask_class = self.data.get(
            self.add_prefix("policy_class"), self.initial.get("policy_class", "")
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.errors:
            return data
        data["name"] = data.get("name") or data.get("policy_class", "")
        try:
            policy_spec_validate(
                name=data["name"],
                policy_class=data.get("policy_class", ""),
                config=data.get("config") if data.get("config") is not None else {},
                stored_config=policy_config_stored(name=data["name"]),
            )
        except PolicyValidationError as error:
            add_spec_errors(self, error)
        return data
