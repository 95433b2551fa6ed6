"""`block-web-requests`: blocks fetches and network commands to hosts outside an allow-list.

No LLM: web tools (WebFetch, fetch, browser navigation, …) are read by their URL arguments;
shell commands are parsed and their network targets found structurally
(`policies.rules.urls.command_hosts`: curl, wget, httpie, nc, ssh/scp/rsync, git remotes,
URLs given to package managers, inline Python/Node code). Package installs from the default
registries (`pip install x`, `npm ci`) name no host and pass. Web search is allowed unless
`block_search` is on.
"""

from __future__ import annotations

import re

from pydantic import Field, field_validator

from policies.base import PolicyConfigSchema
from policies.preset import PresetConfig, RulePresetPolicy
from policies.registry import register
from policies.rules.findings import Finding, check_regexes, compile_patterns, incomplete_finding
from policies.rules.shell import SimpleCommand, parse_shell
from policies.rules.toolcalls import (
    DEFAULT_SHELL_TOOLS,
    ToolNames,
    call_arguments,
    shell_commands,
    tool_keys,
    url_values,
)
from policies.rules.urls import HostMatcher, command_hosts, host_of
from wire.neutral import ToolCallBlock

DEFAULT_ALLOWED_HOSTS = (
    "localhost", "127.0.0.1", "::1", "0.0.0.0",
    "pypi.org", "files.pythonhosted.org", "pypi.python.org",
    "registry.npmjs.org", "registry.yarnpkg.com", "www.npmjs.com", "npmjs.com",
    "github.com", "api.github.com", "raw.githubusercontent.com", "objects.githubusercontent.com",
    "codeload.github.com",
    "docs.python.org", "peps.python.org", "docs.djangoproject.com", "developer.mozilla.org",
    "readthedocs.org", "*.readthedocs.io", "docs.rs", "crates.io", "static.crates.io",
    "index.crates.io", "proxy.golang.org", "sum.golang.org", "pkg.go.dev", "go.dev",
    "rubygems.org", "repo.maven.apache.org", "repo1.maven.org", "nodejs.org",
)  # fmt: skip
DEFAULT_FETCH_TOOLS = (
    "WebFetch", "fetch", "web_fetch", "fetch_url", "url_fetch", "read_url", "open_url",
    "http_request", "http_get", "browse", "browser_navigate", "navigate", "puppeteer_navigate",
    "playwright_navigate", "scrape", "firecrawl_scrape", "crawl", "download", "download_file",
)  # fmt: skip
SEARCH_TOOLS = (
    "WebSearch", "web_search", "search_web", "google_search", "brave_web_search", "bing_search",
    "tavily_search", "duckduckgo_search", "exa_search",
)  # fmt: skip
_WEB_NAME = re.compile(r"fetch|brows|navigat|scrap|crawl|download|http|url|curl|wget", re.I)


@register
class BlockWebRequestsPolicy(RulePresetPolicy):
    """Blocks web fetches and network commands whose host is not in `allowed_hosts`."""

    name = "block-web-requests"
    description = (
        "Block web fetches, browser navigation and network shell commands (curl, wget, nc, "
        "ssh, …) to hosts outside an allow-list of package registries and docs sites. No LLM."
    )
    example_config = {
        "allowed_hosts": [*DEFAULT_ALLOWED_HOSTS, "*.internal.example.com", "10.0.0.0/8"],
        "extra_tool_names": ["mcp__docs__get_page"],
        "allow": [r"^https://sh\.rustup\.rs/?$"],
        "block_search": False,
    }

    class Config(PresetConfig):
        """The host allow-list, extra tools and exceptions."""

        allowed_hosts: list[str] = Field(
            default_factory=lambda: list(DEFAULT_ALLOWED_HOSTS),
            description="Hosts that may be contacted: exact names, `*.example.com` (any "
            "subdomain, not the apex), IPs, networks (`10.0.0.0/8`), or `*` for any.",
        )
        extra_tool_names: list[str] = Field(
            default_factory=list,
            description="More tools to treat as web fetches (their URL arguments are checked), "
            "besides the built-in list and names containing fetch/browse/navigate/scrape/…",
        )
        allow: list[str] = Field(
            default_factory=list,
            description="Regular expressions for exceptions: a fetched URL, or a shell command "
            "line, containing a match is allowed whatever its host.",
        )
        block_search: bool = Field(
            default=False,
            description="Also block web search tools (WebSearch, web_search, …).",
        )
        shell_tool_names: list[str] = Field(
            default_factory=lambda: list(DEFAULT_SHELL_TOOLS),
            description="Shell tools whose commands are checked (tools with a `command`/`cmd` "
            "string or `argv` list are checked whatever their name).",
        )

        @field_validator("allow")
        @classmethod
        def _valid_regexes(cls, value: list[str]) -> list[str]:
            return check_regexes(value)

    def __init__(
        self, config: PolicyConfigSchema | None = None, *, label: str | None = None
    ) -> None:
        super().__init__(config, label=label)
        assert isinstance(self.config, BlockWebRequestsPolicy.Config)
        self.hosts = HostMatcher(self.config.allowed_hosts)
        self.allow = compile_patterns(self.config.allow)
        self.fetch_tools = ToolNames([*DEFAULT_FETCH_TOOLS, *self.config.extra_tool_names])
        self.search_tools = ToolNames(SEARCH_TOOLS)
        self.shell_tools = ToolNames(self.config.shell_tool_names)
        self.block_search = self.config.block_search

    def check(self, call: ToolCallBlock) -> Finding | None:
        """The first disallowed request in the call, or None."""
        if call.name in self.search_tools:
            if self.block_search:
                return Finding("web-search", "web search is not allowed", call.name)
            return None
        if self.is_fetch_tool(call.name):
            for url in url_values(call_arguments(call)):
                host = host_of(url)
                if host and not self.hosts.allows(host) and not self.allowed_text(url):
                    reason = f"{call.name} fetches from {host}, which is not in allowed_hosts"
                    return Finding("fetch-host", reason, url)
        for text, cwd in shell_commands(call, self.shell_tools):
            script = parse_shell(text, cwd=cwd)
            unchecked = incomplete_finding(script)
            if unchecked is not None and not self.allowed_text(text):
                return unchecked
            for command in script.walk():
                finding = self.check_command(command)
                if finding is not None:
                    return finding
        return None

    def check_command(self, command: SimpleCommand) -> Finding | None:
        """A `shell-host` finding for the first host the command contacts that is not allowed
        (by `allowed_hosts`, or by an `allow` regex found in the command line or the URL)."""
        line = command.raw_line
        for host, evidence in command_hosts(command):
            if self.hosts.allows(host) or self.allowed_text(line) or self.allowed_text(evidence):
                continue
            reason = f"{command.name} contacts {host}, which is not in allowed_hosts"
            return Finding("shell-host", reason, line)
        return None

    def is_fetch_tool(self, name: str) -> bool:
        """A configured fetch tool, or a tool whose name says it fetches or browses."""
        return name in self.fetch_tools or any(_WEB_NAME.search(k) for k in tool_keys(name))

    def allowed_text(self, text: str) -> bool:
        """Whether an `allow` regex is found in `text`."""
        return any(pattern.search(text) for pattern in self.allow)
