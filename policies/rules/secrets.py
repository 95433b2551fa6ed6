"""Which paths hold secrets worth stealing: the question behind the exfiltration rules.

A secret path (normalised, `~` for home) is a credential file of `policies.rules.sensitive`
(SSH private keys, `.env`, `*.pem`, cloud and registry credentials) — but not public keys or
`known_hosts` — a directory of them (`~/.ssh`, `~/.aws`, `~/.kube`, …), the system's password
hashes, shell history, or a browser's saved logins.
"""

from __future__ import annotations

import posixpath

from policies.rules.paths import inside
from policies.rules.sensitive import is_credential_file

SECRET_DIRS = (
    "~/.ssh", "~/.aws", "~/.kube", "~/.gnupg", "~/.docker", "~/.azure", "~/.config/gcloud",
    "~/.config/gh", "~/.password-store", "~/.local/share/keyrings", "~/Library/Keychains",
)  # fmt: skip
SECRET_FILES = (
    "/etc/shadow", "/etc/gshadow", "/etc/sudoers", "/etc/ssh/ssh_host_rsa_key",
    "/etc/ssh/ssh_host_ed25519_key", "/etc/ssh/ssh_host_ecdsa_key",
)  # fmt: skip
_HISTORY = frozenset({".bash_history", ".zsh_history", ".history", ".python_history"})
_BROWSER_STORES = ("Login Data", "logins.json", "key4.db", "Cookies")
_PUBLIC = frozenset({"known_hosts", "known_hosts.old", "config"})


def is_secret_path(path: str) -> bool:
    """Whether the normalised `path` holds secrets (see the module docstring)."""
    if not path:
        return False
    name = posixpath.basename(path.rstrip("/"))
    if name.endswith(".pub") or (name in _PUBLIC and "/.ssh" in path):
        return False
    if path.rstrip("/") in SECRET_DIRS or path in SECRET_FILES:
        return True
    if any(inside(path, tree) for tree in SECRET_DIRS):
        return True
    if name in _HISTORY or any(store in path for store in _BROWSER_STORES):
        return True
    return is_credential_file(path)
