"""The egress settings: how the environment is read, and bad values stopping the start-up."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured

from luthien_site.lifespan import handle_lifespan
from wire.egress.tls import ssl_context_for
from wire.egress.transports import check_egress_settings, proxy_selection_from_settings

ROOT = Path(__file__).resolve().parents[3]
NAMES = ("HTTPS_PROXY", "HTTP_PROXY", "NO_PROXY", "LUTHIEN_UPSTREAM_PROXY")
_OURS = {name.lower() for name in NAMES} | {"ssl_cert_file", "luthien_upstream_ca_bundle"}


def settings_in_a_process(environment: dict[str, str]) -> dict[str, str]:
    """The egress settings a fresh process reads from exactly `environment`."""
    env = {k: v for k, v in os.environ.items() if k.lower() not in _OURS}
    env.update(environment, SECRET_KEY="settings-test")
    code = (
        "import json, luthien_site.settings as s; "
        f"print(json.dumps({{n: getattr(s, n) for n in {NAMES!r}}}))"
    )
    output = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, check=True
    )
    return dict(json.loads(output.stdout.decode().strip().splitlines()[-1]))


def test_the_lower_case_name_wins_and_empty_counts_as_unset() -> None:
    read = settings_in_a_process(
        {
            "https_proxy": "http://lower:1",
            "HTTPS_PROXY": "http://upper:1",
            "http_proxy": "",
            "HTTP_PROXY": "http://upper:2",
            "NO_PROXY": ".corp,localhost",
            "LUTHIEN_UPSTREAM_PROXY": "",
        }
    )
    assert read == {
        "HTTPS_PROXY": "http://lower:1",
        "HTTP_PROXY": "http://upper:2",
        "NO_PROXY": ".corp,localhost",
        "LUTHIEN_UPSTREAM_PROXY": "",
    }


def test_nothing_set_means_no_proxy() -> None:
    assert settings_in_a_process({"no_proxy": "*"}) == {
        "HTTPS_PROXY": "",
        "HTTP_PROXY": "",
        "NO_PROXY": "*",
        "LUTHIEN_UPSTREAM_PROXY": "",
    }


def _clear(settings: Any) -> None:
    for name in NAMES:
        setattr(settings, name, "")
    settings.SSL_CERT_FILE = settings.LUTHIEN_UPSTREAM_CA_BUNDLE = ""


def test_a_bad_proxy_url_is_improperly_configured(settings: Any) -> None:
    _clear(settings)
    settings.LUTHIEN_UPSTREAM_PROXY = "socks5://agent:hunter2@proxy:1080"
    with pytest.raises(ImproperlyConfigured, match=r"^LUTHIEN_UPSTREAM_PROXY uses the scheme") as e:
        proxy_selection_from_settings()
    assert "hunter2" not in str(e.value)


@pytest.mark.parametrize("variable", ["SSL_CERT_FILE", "LUTHIEN_UPSTREAM_CA_BUNDLE"])
def test_a_missing_or_empty_ca_file_is_improperly_configured(
    variable: str, settings: Any, tmp_path: Path
) -> None:
    _clear(settings)
    setattr(settings, variable, str(tmp_path / "absent.pem"))
    with pytest.raises(ImproperlyConfigured, match=f"^{variable}=.*absent.pem cannot be used"):
        check_egress_settings()
    empty = tmp_path / "empty.pem"
    empty.write_text("not a certificate\n")
    setattr(settings, variable, str(empty))
    with pytest.raises(ImproperlyConfigured, match=f"^{variable}=.*empty.pem cannot be used"):
        check_egress_settings()


def test_the_ca_bundle_adds_to_the_default_roots(tmp_path: Path) -> None:
    """The bundle is added: the public roots stay trusted (NO_PROXY calls still verify)."""
    import trustme

    bundle = tmp_path / "ca.pem"
    trustme.CA().cert_pem.write_to_path(str(bundle))
    roots = len(ssl_context_for("", "").get_ca_certs())
    assert roots > 50  # certifi's public roots
    assert len(ssl_context_for("", str(bundle)).get_ca_certs()) == roots + 1
    assert len(ssl_context_for(str(bundle), "").get_ca_certs()) == 1  # SSL_CERT_FILE replaces
    assert ssl_context_for("", str(bundle)) is ssl_context_for("", str(bundle))  # one object


async def test_a_bad_setting_fails_the_start_up(settings: Any) -> None:
    _clear(settings)
    settings.HTTPS_PROXY = "https://proxy.corp:443"
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "lifespan.startup"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await handle_lifespan(receive, send)
    assert [m["type"] for m in sent] == ["lifespan.startup.failed"]
    assert sent[0]["message"].startswith("HTTPS_PROXY uses the scheme 'https'")


def test_error_reports_hide_proxy_settings(settings: Any) -> None:
    """Django's DEBUG page and error e-mails show settings: proxy URLs carry credentials."""
    from django.views.debug import get_default_exception_reporter_filter

    settings.HTTPS_PROXY = "http://agent:hunter2@proxy.corp:3128"
    settings.LUTHIEN_UPSTREAM_PROXY = "http://agent:hunter2@proxy.corp:3128"
    shown = get_default_exception_reporter_filter().get_safe_settings()
    assert "hunter2" not in shown["HTTPS_PROXY"]
    assert "hunter2" not in shown["LUTHIEN_UPSTREAM_PROXY"]
    assert shown["LUTHIEN_UPSTREAM_TRANSPORT"] == settings.LUTHIEN_UPSTREAM_TRANSPORT  # not all
