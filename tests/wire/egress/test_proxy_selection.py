"""Which proxy serves which upstream URL: proxy URLs, NO_PROXY rules and the precedence of
LUTHIEN_UPSTREAM_PROXY over the standard variables, as plain functions."""

from __future__ import annotations

import base64

import pytest

from wire.egress.no_proxy import parse_no_proxy
from wire.egress.proxy_url import ProxyURL, parse_proxy_url
from wire.egress.selection import ProxyConfigError, is_loopback, proxy_selection

CORP = "http://corp-proxy:3128"


def basic(pair: str) -> str:
    return "Basic " + base64.b64encode(pair.encode()).decode()


# --- proxy URLs ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("http://proxy.corp:3128", ProxyURL("proxy.corp", 3128)),
        ("  http://proxy.corp:3128/  ", ProxyURL("proxy.corp", 3128)),
        ("proxy.corp:8080", ProxyURL("proxy.corp", 8080)),
        ("HTTP://Proxy.Corp", ProxyURL("proxy.corp", 80)),
        ("http://[fd00::1]:3128", ProxyURL("fd00::1", 3128)),
        ("http://u:p@proxy:1", ProxyURL("proxy", 1, basic("u:p"))),
        ("http://us%40er:p%3Aw%40rd@proxy:1", ProxyURL("proxy", 1, basic("us@er:p:w@rd"))),
        ("http://token@proxy:1", ProxyURL("proxy", 1, basic("token:"))),
    ],
)
def test_proxy_urls(value: str, expected: ProxyURL) -> None:
    assert parse_proxy_url(value) == expected


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("https://proxy:443", "only http:// proxies are supported"),
        ("socks5://proxy:1080", "only http:// proxies are supported"),
        ("http://", "names no proxy host"),
        ("http://proxy:notaport", "is not a valid proxy URL"),
    ],
)
def test_unusable_proxy_urls(value: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        parse_proxy_url(value)


def test_credentials_never_show() -> None:
    proxy = parse_proxy_url("http://agent:hunter2@proxy.corp:3128")
    assert proxy.display == str(proxy) == "http://proxy.corp:3128"
    assert "hunter2" not in repr(proxy)
    assert "agent" not in repr(proxy)
    assert parse_proxy_url("http://[::1]:3128").display == "http://[::1]:3128"


# --- NO_PROXY --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("no_proxy", "host", "port", "bypass"),
    [
        ("example.com", "example.com", 443, True),
        ("example.com", "api.example.com", 443, True),
        ("example.com", "API.Example.COM.", 443, True),
        ("example.com", "notexample.com", 443, False),
        ("example.com", "example.com.evil", 443, False),
        (".example.com", "example.com", 443, True),
        (".example.com", "a.b.example.com", 443, True),
        ("*.example.com", "a.example.com", 443, True),
        ("example.com:8443", "example.com", 8443, True),
        ("example.com:8443", "example.com", 443, False),
        ("*", "anything.at.all", 1, True),
        ("foo, *", "anything", 1, True),
        ("a.test, b.test  c.test", "c.test", 80, True),
        ("a.test,,b.test", "b.test", 80, True),
        ("", "example.com", 443, False),
        ("10.1.2.3", "10.1.2.3", 80, True),
        ("10.1.2.3", "10.1.2.4", 80, False),
        ("10.0.0.0/8", "10.200.3.4", 443, True),
        ("10.0.0.0/8", "11.0.0.1", 443, False),
        ("10.0.0.0/8", "ten.example", 443, False),  # names are not resolved to compare
        ("::1", "[::1]", 443, True),
        ("[::1]:8080", "::1", 8080, True),
        ("[::1]:8080", "::1", 8081, False),
        ("fd00::/8", "[fd12::5]", 443, True),
        ("169.254.169.254:80", "169.254.169.254", 80, True),
    ],
)
def test_no_proxy(no_proxy: str, host: str, port: int, bypass: bool) -> None:
    assert parse_no_proxy(no_proxy).matches(host, port) is bypass


# --- selection ---------------------------------------------------------------------------------


def test_https_and_http_proxies_serve_their_own_schemes() -> None:
    selection = proxy_selection(
        override="", https="http://s-proxy:1", http="http://p-proxy:2", no_proxy=""
    )
    assert selection.proxy_for("https", "api.openai.com", 443) == ProxyURL("s-proxy", 1)
    assert selection.proxy_for("http", "ollama.internal", 11434) == ProxyURL("p-proxy", 2)


def test_no_standard_variables_means_direct() -> None:
    selection = proxy_selection(override="", https="", http="  ", no_proxy="")
    assert selection.proxy_for("https", "api.anthropic.com", 443) is None
    assert selection.proxy_for("http", "ollama.internal", 80) is None


def test_only_https_proxy_leaves_http_upstreams_direct() -> None:
    selection = proxy_selection(override="", https=CORP, http="", no_proxy="")
    assert selection.proxy_for("https", "api.anthropic.com", 443) is not None
    assert selection.proxy_for("http", "vllm.internal", 8000) is None


def test_no_proxy_exempts_hosts_from_the_standard_proxies() -> None:
    selection = proxy_selection(
        override="", https=CORP, http=CORP, no_proxy=".internal,api.openai.com:8443"
    )
    assert selection.proxy_for("http", "vllm.internal", 8000) is None
    assert selection.proxy_for("https", "api.openai.com", 8443) is None
    assert selection.proxy_for("https", "api.openai.com", 443) == parse_proxy_url(CORP)


def test_loopback_never_uses_the_machine_wide_proxies() -> None:
    selection = proxy_selection(override="", https=CORP, http=CORP, no_proxy="")
    for host in ("localhost", "LOCALHOST", "mock.localhost", "127.0.0.1", "127.9.9.9", "::1"):
        assert selection.proxy_for("http", host, 8100) is None, host
    assert selection.proxy_for("http", "10.0.0.5", 8100) is not None


def test_the_override_wins_over_the_standard_variables() -> None:
    selection = proxy_selection(
        override="http://luthien-egress:8888",
        https="http://s-proxy:1",
        http="http://p-proxy:2",
        no_proxy="",
    )
    expected = ProxyURL("luthien-egress", 8888)
    assert selection.proxy_for("https", "api.anthropic.com", 443) == expected
    assert selection.proxy_for("http", "vllm.internal", 8000) == expected
    assert selection.proxy_for("http", "127.0.0.1", 8100) == expected  # explicit: loopback too


def test_the_override_still_honours_no_proxy() -> None:
    selection = proxy_selection(override=CORP, https="", http="", no_proxy="127.0.0.1,*.corp")
    assert selection.proxy_for("http", "127.0.0.1", 8100) is None
    assert selection.proxy_for("https", "llm.corp", 443) is None
    assert selection.proxy_for("https", "api.openai.com", 443) is not None


@pytest.mark.parametrize("none", ["none", "NONE", " None "])
def test_override_none_sends_everything_direct(none: str) -> None:
    selection = proxy_selection(override=none, https=CORP, http=CORP, no_proxy="")
    assert selection.proxy_for("https", "api.anthropic.com", 443) is None
    assert selection.proxy_for("http", "vllm.internal", 8000) is None


def test_an_empty_override_counts_as_unset() -> None:
    selection = proxy_selection(override="  ", https=CORP, http="", no_proxy="")
    assert selection.proxy_for("https", "api.anthropic.com", 443) == parse_proxy_url(CORP)


@pytest.mark.parametrize(
    ("field", "variable"),
    [("override", "LUTHIEN_UPSTREAM_PROXY"), ("https", "HTTPS_PROXY"), ("http", "HTTP_PROXY")],
)
def test_a_bad_proxy_url_names_its_variable_but_not_its_value(field: str, variable: str) -> None:
    values = {"override": "", "https": "", "http": "", "no_proxy": ""}
    values[field] = "socks5://agent:hunter2@proxy:1080"
    with pytest.raises(ProxyConfigError) as caught:
        proxy_selection(**values)
    assert str(caught.value).startswith(f"{variable} uses the scheme 'socks5'")
    assert "hunter2" not in str(caught.value)


def test_other_schemes_never_use_a_proxy() -> None:
    selection = proxy_selection(override=CORP, https="", http="", no_proxy="")
    assert selection.proxy_for("ws", "example.com", 80) is None


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("localhost", True),
        ("a.localhost", True),
        ("127.0.0.2", True),
        ("[::1]", True),
        ("localhost.example", False),
        ("10.0.0.1", False),
        ("example.com", False),
    ],
)
def test_is_loopback(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback
