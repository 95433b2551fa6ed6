"""Hosts in URLs and in network commands, and host allow-lists with `*.example.com` wildcards.

`host_of(url)` is the host a client would connect to (`https://pypi.org@evil.com/` → evil.com);
`command_hosts(cmd)` lists the hosts a simple command contacts: curl, wget, httpie/xh, aria2c,
nc/ncat/socat/telnet, ssh/scp/sftp/rsync targets, git remotes given as URLs, URLs passed to
package managers (`pip install https://…`), `openssl s_client -connect`, PowerShell
`Invoke-WebRequest`, and URL literals in inline Python/Node/Perl/Ruby code. `HostMatcher`
decides whether a host is allowed.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from urllib.parse import urlsplit

from policies.rules.programs import interpreter_code, positionals, words
from policies.rules.shell_model import SimpleCommand

URL_IN_TEXT = re.compile(
    r"\b(?:https?|ftps?|wss?|sftp|rsync|git|ssh|telnet)://[^\s'\"<>`)\]]+", re.IGNORECASE
)
_BARE_HOST = re.compile(
    r"^(?:[\w.%+-]+@)?(?:localhost|\[[0-9a-fA-F:.]+\]|[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)"
    r"(?::\d+)?(?:[/?#].*)?$"
)
_SCP_TARGET = re.compile(r"^(?:[^@/\s]+@)?(?P<host>\[[0-9a-fA-F:.]+\]|[A-Za-z0-9._-]+):(?!//)")
_SOCKET_CONNECT = re.compile(r"(?:connect|create_connection)\(\s*\(\s*['\"]([^'\"]+)['\"]")
_METHOD = re.compile(r"^[A-Za-z]+$")

_CURL_ARG_OPTS = words(
    "-A -b -c -C -d -D -e -E -F -H -K -m -o -P -Q -r -T -u -U -w -X -y -Y -z -t --user-agent "
    "--cookie --cookie-jar --continue-at --data --data-raw --data-binary --data-urlencode "
    "--dump-header --referer --cert --form --header --config --max-time --output --ftp-port "
    "--quote --range --upload-file --user --proxy-user --write-out --request --speed-time "
    "--speed-limit --time-cond --telnet-option --retry --retry-delay --retry-max-time "
    "--connect-timeout --cacert --capath --key --pass --resolve --connect-to --interface "
    "--limit-rate --max-filesize --output-dir --json --oauth2-bearer --aws-sigv4 -x --proxy "
    "--url --unix-socket --abstract-unix-socket --local-port --dns-servers"
)
_WGET_ARG_OPTS = words(
    "-O -o -a -P -U -e -i -t -T -w -Q -B -D -l -A -R -I -X --header --user-agent "
    "--output-document --output-file --append-output --directory-prefix --post-data "
    "--post-file --body-data --body-file --method --user --password --tries --timeout --wait "
    "--quota --base --domains --level --accept --reject --referer --load-cookies "
    "--save-cookies --input-file"
)
_HTTPIE_ARG_OPTS = words(
    "-a --auth -A --auth-type --session --session-read-only -o --output --verify --cert "
    "--cert-key --proxy --timeout --max-redirects --print -p --style -s --pretty"
)
_NC_ARG_OPTS = words("-p -s -w -x -X -i -q -e -c -g -G -O -I -T -W -P -m")
_SSH_ARG_OPTS = words("-b -c -D -E -e -F -I -i -J -L -l -m -O -o -p -Q -R -S -W -w -B")
_COPY_ARG_OPTS = words(
    "-P -i -F -o -c -l -S -J -e --rsh --exclude --include -f --filter --port --password-file "
    "--log-file -T --temp-dir --partial-dir --backup-dir --suffix"
)
_URL_ARG_PROGRAMS = words(
    "aria2c axel lynx w3m links lwp-request GET HEAD POST curlie yt-dlp youtube-dl ftp tftp "
    "invoke-webrequest iwr invoke-restmethod irm start-bitstransfer pip pip3 pipx poetry pdm "
    "npm yarn pnpm bun gem cargo composer brew conda mamba"
)
_GIT_NETWORK = words("clone fetch pull push ls-remote remote submodule archive")


def host_of(url: str) -> str | None:
    """The host of a URL, scheme optional (`example.com/x`, `user@host:path`); lower-case,
    without port, brackets or trailing dot. None when there is no host."""
    text = url.strip().strip("'\"")
    if not text:
        return None
    if "://" not in text:
        scp = _SCP_TARGET.match(text)
        if scp and not re.match(r"^[A-Za-z]:$", text[: text.find(":") + 1]):
            return _clean(scp.group("host"))
        text = "http://" + text
    try:
        host = urlsplit(text).hostname
    except ValueError:
        return None
    return _clean(host) if host else None


def _clean(host: str) -> str:
    return host.strip("[]").rstrip(".").lower()


def urls_in_text(text: str) -> list[str]:
    """Every `scheme://…` URL in free text."""
    return URL_IN_TEXT.findall(text)


class HostMatcher:
    """An allow-list of hosts: exact names (`pypi.org`), wildcards (`*.example.com` matches
    any subdomain, not the apex), IP addresses and networks (`10.0.0.0/8`), or `*` (any)."""

    def __init__(self, patterns: Iterable[str]) -> None:
        self.exact: set[str] = set()
        self.suffixes: list[str] = []
        self.networks: list[ipaddress.IPv4Network | ipaddress.IPv6Network] = []
        self.any = False
        for raw in patterns:
            pattern = _clean(raw.strip())
            if pattern == "*":
                self.any = True
            elif pattern.startswith("*."):
                self.suffixes.append(pattern[1:])
            elif "/" in pattern:
                try:
                    self.networks.append(ipaddress.ip_network(pattern, strict=False))
                except ValueError:
                    continue
            elif pattern:
                self.exact.add(pattern)

    def allows(self, host: str) -> bool:
        """Whether `host` is on the list."""
        host = _clean(host)
        if self.any or host in self.exact or any(host.endswith(s) for s in self.suffixes):
            return True
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            return False
        return any(address in network for network in self.networks)


def command_hosts(command: SimpleCommand) -> list[tuple[str, str]]:
    """`(host, evidence)` for every host the command contacts (see the module docstring)."""
    name, args = command.name, command.args
    low = name.lower()
    targets: list[str] = []
    if low == "curl":
        targets = positionals(args, _CURL_ARG_OPTS) + _values(args, ("--url", "-x", "--proxy"))
    elif low == "wget":
        targets = positionals(args, _WGET_ARG_OPTS)
    elif low in ("http", "https", "httpie", "xh", "xhs"):
        targets = _httpie_target(args)
    elif low in ("nc", "ncat", "netcat", "telnet"):
        words = positionals(args, _NC_ARG_OPTS)
        targets = [] if "-l" in args or not words else [words[0]]
    elif low == "socat":
        targets = [m.group(1) for a in args if (m := re.match(r"^[A-Z0-9-]+:([^:,]+):", a))]
    elif low in ("ssh", "mosh"):
        words = positionals(args, _SSH_ARG_OPTS)
        targets = words[:1] + [h for v in _values(args, ("-J",)) for h in v.split(",")]
    elif low in ("scp", "sftp", "rsync"):
        words = positionals(args, _COPY_ARG_OPTS)
        targets = [w for w in words if "://" in w or _SCP_TARGET.match(w) or low == "sftp"]
    elif low == "openssl":
        targets = _values(args, ("-connect",))
    elif low in _URL_ARG_PROGRAMS or name in _URL_ARG_PROGRAMS or _is_git_network(low, args):
        targets = [u for a in args for u in urls_in_text(a)] + _scp_like(low, args)
    code = interpreter_code(command.argv)
    if code:
        targets += urls_in_text(code) + _SOCKET_CONNECT.findall(code)
    return [(host, target) for target in targets if (host := _target_host(target, low))]


def _target_host(target: str, program: str) -> str | None:
    if not target or target.startswith("-"):
        return None
    if "://" in target or _BARE_HOST.match(target) or program in ("ssh", "mosh", "nc", "telnet"):
        return host_of(target)
    if program in ("scp", "sftp", "rsync", "git") and _SCP_TARGET.match(target):
        return host_of(target)
    return None


def _values(args: list[str], names: tuple[str, ...]) -> list[str]:
    out: list[str] = []
    for index, arg in enumerate(args):
        if arg in names and index + 1 < len(args):
            out.append(args[index + 1])
        elif "=" in arg and arg.split("=", 1)[0] in names:
            out.append(arg.split("=", 1)[1])
    return out


def _httpie_target(args: list[str]) -> list[str]:
    words = positionals(args, _HTTPIE_ARG_OPTS)
    if len(words) > 1 and _METHOD.match(words[0]):
        words = words[1:]
    if not words:
        return []
    url = words[0]
    return ["localhost"] if url.startswith(":") else [url]


def _is_git_network(program: str, args: list[str]) -> bool:
    """`git clone/fetch/pull/push/remote …` (skipping `-C dir`, `-c k=v`)."""
    if program != "git":
        return False
    words = positionals(args, {"-C", "-c", "--git-dir", "--work-tree", "--namespace"})
    return bool(words) and words[0] in _GIT_NETWORK


def _scp_like(program: str, args: list[str]) -> list[str]:
    """`git clone git@github.com:org/repo.git`: scp-style remotes given to git."""
    if program != "git":
        return []
    return [a for a in args if "@" in a and _SCP_TARGET.match(a) and "://" not in a]
