"""Path normalisation and what the rules know about the file system layout.

`normalize` turns the many spellings of a path into one: the home directory in any form (`~`,
`~alice`, `$HOME`, `${HOME}`, `/home/alice`, `/Users/alice`, `/root`, `C:\\Users\\alice`) becomes
`~`; `..`, `.` and repeated slashes collapse; Windows paths use `/` and a lower-case drive;
relative paths are joined to the working directory when it is known. The rules then compare
normalised paths only. Paths are never touched on disk.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Mapping

HOME = "~"
_SENTINEL = "/home/\x00home"  # stands for ~ while `..` collapses, so `~/..` → /home
_HOME_VAR = re.compile(
    r"^(?:\$HOME|\$\{HOME(?:[:?+=-][^}]*)?\}|\$\{?USERPROFILE\}?|%USERPROFILE%|\$env:USERPROFILE"
    r"|~[A-Za-z0-9_.-]*)(?=/|$)",
    re.IGNORECASE,
)
_XDG_CONFIG = re.compile(r"^\$\{?XDG_CONFIG_HOME\}?(?=/|$)")
_HOME_ABSOLUTE = re.compile(
    r"^(?:/home/[^/]+|/Users/(?!Shared(?:/|$))[^/]+|/root|/var/root"
    r"|[a-z]:/users/(?!public(?:/|$))[^/]+)(?=/|$)",
    re.IGNORECASE,
)
_WINDOWS = re.compile(r"^(?:[A-Za-z]:[\\/]|\\\\)")
_DRIVE = re.compile(r"^[a-z]:(?=/)")
_VARIABLE = re.compile(r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))")
GLOB_CHARS = frozenset("*?[")

#: Home directories of all users.
HOME_CONTAINERS = frozenset({"/home", "/Users", "c:/users"})
#: Trees whose contents belong to the operating system.
SYSTEM_TREES = (
    "/etc", "/usr", "/bin", "/sbin", "/boot", "/lib", "/lib32", "/lib64", "/libx32",
    "/var/lib", "/System", "/private/etc", "/private/var/db", "/dev", "/proc", "/sys",
    "c:/windows", "c:/program files", "c:/program files (x86)",
)  # fmt: skip
#: Top-level directories of a Unix or macOS system.
TOP_LEVEL_DIRS = frozenset({
    "/bin", "/boot", "/dev", "/etc", "/home", "/lib", "/lib32", "/lib64", "/libx32", "/mnt",
    "/media", "/opt", "/proc", "/root", "/run", "/sbin", "/snap", "/srv", "/sys", "/tmp", "/usr",
    "/var", "/nix", "/System", "/Library", "/Applications", "/Users", "/Volumes", "/private",
    "/cores", "c:/windows", "c:/users",
})  # fmt: skip


def normalize(path: str, *, cwd: str | None = None, env: Mapping[str, str] | None = None) -> str:
    """The canonical spelling of `path` (see the module docstring); "" for an empty path.
    `env` supplies variables set earlier in the same script (`D=/etc; rm -rf $D`)."""
    text = path.strip()
    if not text:
        return ""
    if _WINDOWS.match(text):
        text = text.replace("\\", "/")
        text = text[0].lower() + text[1:]
    if env:
        text = _VARIABLE.sub(lambda m: env.get(m.group(1) or m.group(2), m.group(0)), text)
    text = _XDG_CONFIG.sub("~/.config", text)
    text = _HOME_VAR.sub(HOME, text)
    if cwd and not is_absolute(text):
        text = f"{cwd.rstrip('/')}/{text}"
    if text == HOME or text.startswith(HOME + "/"):
        text = _SENTINEL + text[1:]
    drive_match = _DRIVE.match(text)
    drive = drive_match.group() if drive_match else ""
    text = posixpath.normpath(text[len(drive) :])
    if text.startswith("//"):
        text = "/" + text.lstrip("/")
    text = drive + text
    if text == _SENTINEL or text.startswith(_SENTINEL + "/"):
        return HOME + text[len(_SENTINEL) :]
    home = _HOME_ABSOLUTE.match(text)
    return HOME + text[home.end() :] if home else text


def is_absolute(path: str) -> bool:
    """Whether `path` (normalised or not) does not depend on the working directory."""
    return path.startswith(("/", "~", "$HOME", "${HOME}")) or bool(_DRIVE.match(path.lower()))


def has_glob(component: str) -> bool:
    """Whether a path component contains shell glob characters."""
    return any(char in GLOB_CHARS for char in component)


def split_glob(path: str) -> tuple[str, bool]:
    """`(directory, True)` when the last component of `path` is a glob (`/etc/*` → `/etc`),
    otherwise `(path, False)`."""
    head, tail = posixpath.split(path)
    if has_glob(tail):
        return (head or "."), True
    return path, False


def inside(path: str, tree: str) -> bool:
    """Whether `path` is `tree` or below it (both normalised; case-insensitive on Windows)."""
    if _DRIVE.match(tree):
        path, tree = path.lower(), tree.lower()
    return path == tree or path.startswith(tree.rstrip("/") + "/")


def system_tree(path: str) -> str | None:
    """The protected system tree containing `path` (`/etc/hosts` → `/etc`), or None."""
    return next((tree for tree in SYSTEM_TREES if inside(path, tree)), None)


def is_system_path(path: str) -> bool:
    """Whether the normalised `path` is inside a tree that belongs to the operating system."""
    return system_tree(path) is not None


def is_home(path: str) -> bool:
    """Whether the normalised `path` is a home directory or the directory holding them."""
    return path == HOME or path in HOME_CONTAINERS


def home_child(path: str) -> str | None:
    """The first component under the home directory (`~/.ssh/id_rsa` → `.ssh`), or None."""
    if not path.startswith(HOME + "/"):
        return None
    return path[2:].split("/", 1)[0]


def is_parent_dir(path: str) -> bool:
    """Whether a relative path names a parent of the working directory (`..`, `../..`)."""
    return bool(re.fullmatch(r"\.\.(?:/\.\.)*", path))
