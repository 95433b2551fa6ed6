"""The sensitive-path rules of `block-sensitive-file-writes`, as editable glob lists.

Each rule has an id, a reason and glob patterns (syntax in `policies.rules.globs`) matched
against normalised paths (`policies.rules.paths.normalize`: the home directory is `~`). Earlier
rules win, so `/etc/profile` is reported as a shell profile rather than a system path.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from policies.rules.globs import GlobSet


@dataclass(frozen=True, slots=True)
class PathRule:
    """A named group of globs; `exclude` globs carve out harmless look-alikes."""

    id: str
    reason: str
    include: tuple[str, ...]
    exclude: tuple[str, ...] = ()


PATH_RULES: tuple[PathRule, ...] = (
    PathRule(
        "ssh-keys",
        "writes to SSH keys or SSH configuration",
        (
            "**/.ssh/**",
            "id_{rsa,dsa,ecdsa,ed25519,ecdsa_sk,ed25519_sk}{,.pub}",
            "authorized_keys{,2}",
        ),
        ("**/.ssh/known_hosts", "**/.ssh/known_hosts.old"),
    ),
    PathRule(
        "private-keys",
        "writes to a private key or certificate store",
        ("*.pem", "*.key", "*.p12", "*.pfx", "*.jks", "*.keystore", "*.ppk"),
    ),
    PathRule(
        "env-files",
        "writes to an environment file (secrets)",
        (".env", ".env.*", ".envrc"),
        (".env.example", ".env.sample", ".env.template", ".env.dist", ".env.*.example"),
    ),
    PathRule(
        "credentials",
        "writes to a credentials file",
        (
            "~/.aws/**",
            "~/.netrc",
            "_netrc",
            "~/.npmrc",
            "~/.pypirc",
            "~/.docker/config.json",
            "~/.kube/**",
            "~/.gnupg/**",
            ".git-credentials",
            "~/.config/gh/hosts.yml",
            "~/.config/gcloud/**",
            "~/.azure/**",
            "~/.pgpass",
            "~/.cargo/credentials*",
            "~/.terraform.d/credentials.tfrc.json",
            "~/.gem/credentials",
            "~/.m2/settings.xml",
        ),
    ),
    PathRule(
        "shell-profiles",
        "writes to a shell start-up file",
        (
            ".bashrc",
            ".bash_profile",
            ".bash_login",
            ".bash_logout",
            ".profile",
            ".zshrc",
            ".zprofile",
            ".zshenv",
            ".zlogin",
            ".zlogout",
            ".kshrc",
            ".cshrc",
            ".tcshrc",
            ".mkshrc",
            "~/.config/fish/**",
            "/etc/profile",
            "/etc/profile.d/**",
            "/etc/bash.bashrc",
            "/etc/zshrc",
            "/etc/zsh/**",
            "*PowerShell_profile.ps1",
        ),
    ),
    PathRule(
        "git-internals",
        "writes inside a .git directory (hooks, config, objects)",
        (".git/**",),
    ),
    PathRule(
        "autostart",
        "writes to an autostart location",
        (
            "~/Library/LaunchAgents/**",
            "/Library/LaunchAgents/**",
            "/Library/LaunchDaemons/**",
            "~/.config/autostart/**",
            "~/.config/systemd/**",
            "/var/spool/cron/**",
        ),
    ),
    PathRule(
        "path-hijack",
        "replaces a well-known command in /usr/local (it shadows the system's)",
        (
            "/usr/local/{bin,sbin}/{sudo,su,ssh,scp,git,python,python3,pip,pip3,node,npm,npx,"
            "bash,sh,zsh,ls,cat,cp,mv,rm,curl,wget,docker,kubectl,aws,gcloud,gpg,login,passwd,"
            "env,make,gcc,cc,ld,openssl,tar}",
        ),
    ),
    PathRule(
        "system-paths",
        "writes to a system path",
        (
            "/etc/**",
            "/usr/**",
            "/bin/**",
            "/sbin/**",
            "/boot/**",
            "/lib/**",
            "/lib32/**",
            "/lib64/**",
            "/libx32/**",
            "/var/lib/**",
            "/System/**",
            "/private/etc/**",
            "c:/windows/**",
        ),
        ("/usr/local/**",),
    ),
)


@dataclass(frozen=True, slots=True)
class _CompiledRule:
    rule: PathRule
    include: GlobSet
    exclude: GlobSet


@functools.cache
def _compiled() -> tuple[_CompiledRule, ...]:
    return tuple(_CompiledRule(r, GlobSet(r.include), GlobSet(r.exclude)) for r in PATH_RULES)


def sensitive_rule(*paths: str) -> PathRule | None:
    """The first built-in rule that one of `paths` (normalised spellings of one path) hits."""
    for compiled in _compiled():
        if compiled.include.match(*paths) and not compiled.exclude.match(*paths):
            return compiled.rule
    return None


def _hits(rule_ids: tuple[str, ...], path: str) -> bool:
    rule = sensitive_rule(path)
    return rule is not None and rule.id in rule_ids


def is_credential_file(path: str) -> bool:
    """Keys, `.env` files and credential stores (`~/.ssh/id_rsa`, `x.pem`, `~/.aws/…`)."""
    return _hits(("ssh-keys", "private-keys", "env-files", "credentials"), path)


def is_shell_profile(path: str) -> bool:
    """Shell start-up files (`.bashrc`, `.zshrc`, `.profile`, fish config, `/etc/profile`)."""
    return _hits(("shell-profiles",), path)


def is_git_internal(path: str) -> bool:
    """Files inside a `.git` directory (`.gitignore` and `.github/` are not)."""
    return _hits(("git-internals",), path)
