"""The threat taxonomy of the rule presets: every finding names one category.

Five families, each split into categories (`family/category` ids, used in the corpus, in
decisions and in reasons), plus `uncertain` (the preset could not decide) and `custom`
(a configured pattern). `RULE_CATEGORIES` maps each built-in rule id to its category.
"""

from __future__ import annotations

FAMILIES: dict[str, str] = {
    "data-destruction": "data destruction",
    "system-availability": "system and availability",
    "security-weakening": "security weakening and persistence",
    "exfiltration": "credential and data exfiltration",
    "remote-code-execution": "remote code execution",
    "uncertain": "uncertain",
    "custom": "custom rule",
}

CATEGORIES: dict[str, str] = {
    "data-destruction/files": "files",
    "data-destruction/repository": "repository",
    "data-destruction/database": "database",
    "data-destruction/containers": "containers and clusters",
    "data-destruction/cloud": "cloud",
    "data-destruction/truncation": "truncated config or credentials",
    "system-availability/disks": "disks",
    "system-availability/power": "power",
    "system-availability/services": "services and network",
    "system-availability/processes": "processes",
    "system-availability/firewall": "firewall",
    "system-availability/fork-bomb": "fork bomb",
    "security-weakening/permissions": "permissions",
    "security-weakening/ssh-keys": "SSH keys",
    "security-weakening/accounts": "accounts",
    "security-weakening/persistence": "persistence",
    "security-weakening/audit": "audit trail",
    "security-weakening/credentials": "credentials",
    "security-weakening/system-files": "system files",
    "exfiltration/upload": "upload of secrets",
    "exfiltration/reverse-shell": "reverse shell",
    "exfiltration/egress": "egress",
    "remote-code-execution/download-exec": "download and run",
    "remote-code-execution/decode-exec": "decode and run",
    "remote-code-execution/interpreter": "interpreter one-liner",
    "uncertain": "could not be analysed",
    "custom": "a configured pattern",
}

RULE_CATEGORIES: dict[str, str] = {
    **dict.fromkeys(
        [
            "rm-root",
            "rm-home",
            "rm-home-data",
            "rm-system",
            "rm-parent",
            "rm-no-preserve-root",
            "find-delete",
            "mv-critical",
            "rsync-delete",
        ],
        "data-destruction/files",
    ),
    **dict.fromkeys(
        [
            "rm-git",
            "git-force-push",
            "git-delete-branch",
            "git-hard-reset",
            "git-history-wipe",
            "repo-delete",
        ],
        "data-destruction/repository",
    ),
    **dict.fromkeys(["db-drop", "db-wipe-task"], "data-destruction/database"),
    **dict.fromkeys(
        ["container-volumes", "container-wipe", "cluster-delete"], "data-destruction/containers"
    ),
    **dict.fromkeys(["cloud-delete", "infra-destroy"], "data-destruction/cloud"),
    "truncate-secret": "data-destruction/truncation",
    **dict.fromkeys(
        ["disk-format", "disk-wipe", "disk-partition", "disk-overwrite", "volume-destroy"],
        "system-availability/disks",
    ),
    "shutdown": "system-availability/power",
    **dict.fromkeys(["service-stop", "network-down"], "system-availability/services"),
    **dict.fromkeys(["kill-all", "kill-broad", "kill-gateway"], "system-availability/processes"),
    "firewall-off": "system-availability/firewall",
    "fork-bomb": "system-availability/fork-bomb",
    **dict.fromkeys(
        [
            "chmod-recursive",
            "chown-recursive",
            "perm-system-file",
            "perm-secret",
            "setuid",
            "capabilities",
            "world-writable",
            "container-host",
        ],
        "security-weakening/permissions",
    ),
    **dict.fromkeys(["authorized-keys", "sshd-config", "ssh-keys"], "security-weakening/ssh-keys"),
    **dict.fromkeys(["overwrite-auth", "account-change"], "security-weakening/accounts"),
    **dict.fromkeys(
        [
            "crontab-remove",
            "cron-install",
            "autostart",
            "profile-inject",
            "shell-profiles",
            "git-internals",
        ],
        "security-weakening/persistence",
    ),
    **dict.fromkeys(["history-wipe", "log-wipe", "defence-off"], "security-weakening/audit"),
    **dict.fromkeys(["private-keys", "env-files", "credentials"], "security-weakening/credentials"),
    "system-paths": "security-weakening/system-files",
    "path-hijack": "security-weakening/system-files",
    "exfil-upload": "exfiltration/upload",
    **dict.fromkeys(["reverse-shell", "remote-tunnel"], "exfiltration/reverse-shell"),
    **dict.fromkeys(["fetch-host", "shell-host", "web-search"], "exfiltration/egress"),
    **dict.fromkeys(["download-exec", "download-run"], "remote-code-execution/download-exec"),
    "decode-exec": "remote-code-execution/decode-exec",
    **dict.fromkeys(
        [
            "too-complex",
            "unparseable",
            "hidden-code",
            "code-too-long",
            "code-unknown-target",
            "rm-unset-variable",
        ],
        "uncertain",
    ),
    "custom-pattern": "custom",
}


def rule_category(rule: str) -> str:
    """The category id of a rule id (`custom` for unknown ones)."""
    return RULE_CATEGORIES.get(rule, "custom")


def category_title(category: str) -> str:
    """`data destruction (files)`: the family and the category, for reasons."""
    family = FAMILIES.get(category.split("/")[0], category)
    detail = CATEGORIES.get(category)
    if "/" not in category or detail is None:
        return family
    return f"{family} ({detail})"
