"""Dangerous-command rules about files and disks: deletes (also by `rsync --delete` and when an
unset variable would make the path `/`), moves, truncation of secrets and config, raw disk
writes, formatting and partitioning. Each `check_*` takes one simple command and yields
`Finding`s; paths are resolved against the command's known working directory and variables.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator
from typing import NamedTuple

from policies.rules.findings import Finding
from policies.rules.paths import (
    TOP_LEVEL_DIRS,
    home_child,
    inside,
    is_home,
    is_parent_dir,
    normalize,
    split_glob,
    system_tree,
)
from policies.rules.programs import long_flags, positionals, short_flags, words
from policies.rules.secrets import is_secret_path
from policies.rules.sensitive import sensitive_rule
from policies.rules.shell_model import SimpleCommand
from policies.rules.writes import written_paths

PROTECTED_HOME_DIRS = words(
    ".ssh .gnupg .aws .kube .config .local .docker .azure Documents Desktop Downloads Pictures "
    "Music Movies Videos Library Dropbox"
)
_SECRET_HOME_DIRS = (".ssh", ".gnupg", ".aws", ".kube", ".azure")
#: Subtrees of system trees that are fine to delete or change (caches, temp, add-on software).
_SYSTEM_EXCEPTIONS = ("/var/lib/apt/lists", "/var/cache", "/var/tmp", "/dev/shm", "c:/windows/temp")
_IMPORTANT_DIRS = frozenset({"/var/log", "/var/lib", "/var/cache", "/var/spool", "/var/mail"})
_USR_LOCAL_STANDARD = words("bin sbin lib lib64 libexec include share etc src man")
_EVERYTHING_GLOB = re.compile(r"[.*?\[\]!^{},]*\*[.*?\[\]!^{},]*")
DISK_DEVICE = re.compile(
    r"^/dev/(?:(?:sd|hd|vd|xvd)[a-z]+\d*|nvme\d+n\d+(?:p\d+)?|mmcblk\d+(?:p\d+)?|r?disk\d+(?:s\d+)?"
    r"|md\d+|dm-\d+|mapper/.+|loop\d+|sr\d+|root|mem|kmem|port|disk/by-.+)$"
)
AUTH_FILES = ("/etc/passwd", "/etc/shadow", "/etc/group", "/etc/gshadow", "/etc/sudoers")
HISTORY_FILES = frozenset({".bash_history", ".zsh_history", ".history", "fish_history"})
_VARIABLE = re.compile(r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))")
_RSYNC_ARG_OPTS = frozenset(
    [
        "-e",
        "--rsh",
        "-f",
        "--filter",
        "--exclude",
        "--include",
        "--exclude-from",
        "--include-from",
        "--password-file",
        "--log-file",
        "-T",
        "--temp-dir",
        "--partial-dir",
        "--backup-dir",
        "--suffix",
        "--chmod",
        "-B",
        "--block-size",
        "--max-size",
        "--min-size",
        "--timeout",
        "--port",
        "--compare-dest",
        "--copy-dest",
        "--link-dest",
    ]
)
_REMOTE = re.compile(r"^(?:[^/:]+@)?[A-Za-z0-9._-]+:|^rsync://")
_CONFIG_NAME = re.compile(
    r"(?:secret|credential|password|passwd|token)[^/]*$|(?:^|/)\.gitconfig$|^~/\.config/",
    re.IGNORECASE,
)


def resolve(command: SimpleCommand, path: str) -> str:
    """`path` normalised against the command's working directory and variables."""
    return normalize(path, cwd=command.cwd, env=command.env)


def _is_exception(path: str) -> bool:
    if any(inside(path, tree) for tree in _SYSTEM_EXCEPTIONS):
        return True
    if path.startswith("/usr/local/"):
        first = path.split("/")[3]
        return first not in _USR_LOCAL_STANDARD or path.count("/") > 3
    return False


class Target(NamedTuple):
    """What a path is, for the rules: `kind` is root, home, homes, home-data, secret, top,
    system, parent or git; `text` describes it for the block reason."""

    kind: str
    text: str


def critical_target(path: str) -> Target | None:
    """What the normalised `path` is if changing it could be dangerous, else None. A trailing
    match-everything glob (`/*`, `~/.*`) stands for the directory's whole contents."""
    base, globbed = split_glob(path)
    everything = globbed and bool(_EVERYTHING_GLOB.fullmatch(posixpath.basename(path)))
    if globbed and not everything:
        if system_tree(base) and not _is_exception(path):
            return Target("system", f"files in the system directory {base}")
        return None
    target = base if everything else path
    child = home_child(target)
    if target == "/":
        return Target("root", "the root filesystem")
    if target == "~":
        return Target("home", "the home directory")
    if is_home(target):
        return Target("homes", f"every home directory ({target})")
    if child in PROTECTED_HOME_DIRS and target == f"~/{child}":
        return Target("home-data", f"~/{child}")
    if child in _SECRET_HOME_DIRS:
        return Target("secret", f"secrets in ~/{child}")
    if (target in TOP_LEVEL_DIRS or target in _IMPORTANT_DIRS) and not (
        everything and target in ("/tmp", "/mnt", "/media")
    ):
        return Target("top", f"the system directory {target}")
    if system_tree(target) and not _is_exception(target):
        return Target("system", f"the system path {target}")
    if is_parent_dir(target):
        return Target("parent", f"a parent of the working directory ({target})")
    if posixpath.basename(target) == ".git":
        return Target("git", "the repository's history (.git)")
    return None


DELETE_RULES = {
    "root": "rm-root", "home": "rm-home", "homes": "rm-home", "home-data": "rm-home-data",
    "secret": "rm-home-data", "top": "rm-system", "system": "rm-system", "parent": "rm-parent",
    "git": "rm-git",
}  # fmt: skip


def check_delete(command: SimpleCommand) -> Iterator[Finding]:
    """`rm`, `unlink`, `shred`: recursive deletes of the root, home, system, parent or `.git`
    directories; any delete of system files and of secrets under home."""
    name, args = command.name, command.args
    if name not in ("rm", "unlink", "shred", "srm"):
        return
    if "--no-preserve-root" in args:
        yield Finding("rm-no-preserve-root", "rm with --no-preserve-root", command.line)
        return
    recursive = bool({"r", "R"} & short_flags(args)) or "--recursive" in long_flags(args)
    arg_opts = {"-n", "-s", "--iterations", "--size", "--random-source"} if name == "shred" else ()
    for path in positionals(args, arg_opts):
        resolved = resolve(command, path)
        if DISK_DEVICE.match(resolved):
            continue  # reported by check_disks
        if posixpath.basename(resolved) in HISTORY_FILES:
            yield Finding("history-wipe", "deletes the shell history", command.line)
            continue
        target = critical_target(resolved)
        if inside(resolved, "/var/log") and resolved != "/var/log/":
            yield Finding("log-wipe", f"deletes system logs ({resolved})", command.line)
        elif target is not None and (recursive or target.kind in ("system", "secret")):
            kind = "recursive delete" if recursive else "delete"
            yield Finding(DELETE_RULES[target.kind], f"{kind} of {target.text}", command.line)
        elif recursive:
            yield from _unset_variable(command, resolved)


def _unset_variable(command: SimpleCommand, path: str) -> Iterator[Finding]:
    """`rm -rf "$DIR/"*` with `$DIR` unknown: if it is empty or unset this is `rm -rf /*`
    (`${DIR:?}` guards against that and is fine)."""
    names = _VARIABLE.findall(path)
    if not names:
        return
    target = critical_target(normalize(_VARIABLE.sub("", path)) or ".")
    if target is not None and target.kind not in ("parent", "git"):
        name = names[0][0] or names[0][1]
        reason = f"if ${name} is empty or unset this is a recursive delete of {target.text}"
        yield Finding("rm-unset-variable", reason, command.line, uncertain=True)


def check_rsync_delete(command: SimpleCommand) -> Iterator[Finding]:
    """`rsync -a --delete empty/ ~/`: deletes from the destination what the source lacks."""
    args = command.args
    if command.name != "rsync" or not any(a.startswith("--delete") for a in args):
        return
    words = positionals(args, _RSYNC_ARG_OPTS)
    if len(words) < 2 or _REMOTE.match(words[-1]):
        return
    target = critical_target(resolve(command, words[-1].rstrip("/") or "/"))
    if target is not None and target.kind not in ("git", "secret"):
        reason = f"rsync --delete removes everything in {target.text} the source lacks"
        yield Finding("rsync-delete", reason, command.line)


def check_truncation(command: SimpleCommand) -> Iterator[Finding]:
    """Secrets, config and logs emptied: `> file`, `: > file`, `echo -n > file`,
    `cp /dev/null file`, `truncate -s 0 file`, `dd if=/dev/null of=file`, `tee file </dev/null`."""
    for target in truncated_paths(command):
        path = resolve(command, target)
        if posixpath.basename(path) in HISTORY_FILES:
            yield Finding("history-wipe", "empties the shell history", command.raw_line)
        elif inside(path, "/var/log"):
            yield Finding("log-wipe", f"empties the system log {path}", command.raw_line)
        elif is_secret_path(path) or sensitive_rule(path) or _CONFIG_NAME.search(path):
            yield Finding("truncate-secret", f"empties {path}", command.raw_line)


def truncated_paths(command: SimpleCommand) -> list[str]:
    """The files `command` leaves empty (see `check_truncation`)."""
    name, args = command.name, command.args
    written = [r.target for r in command.redirects if r.op in (">", ">|", "&>") and r.target]
    stdin_null = any(r.op == "<" and r.target == "/dev/null" for r in command.redirects)
    paths: list[str] = []
    if _writes_nothing(command):
        paths += written
    words = positionals(args, {"-s", "--size", "-r", "--reference", "-t", "-S"})
    if name == "cp" and len(words) == 2 and words[0] == "/dev/null":
        paths.append(words[1])
    elif name == "truncate" and _zero_size(args):
        paths += words
    elif name == "dd" and "if=/dev/null" in args:
        paths += [a[3:] for a in args if a.startswith("of=")]
    elif name == "tee" and stdin_null and not {"a"} & short_flags(args):
        paths += positionals(args)
    return [p for p in paths if p != "/dev/null"]


def _writes_nothing(command: SimpleCommand) -> bool:
    name, args = command.name, command.args
    if not command.argv or name in (":", "true"):
        return True
    if name == "echo":
        return all(a in ("-n", "-e", "-ne", "-en", "") for a in args)
    if name == "printf":
        return args[:1] == [""] or not args
    return name == "cat" and args == ["/dev/null"]


def _zero_size(args: list[str]) -> bool:
    for index, arg in enumerate(args):
        value = None
        if arg in ("-s", "--size") and index + 1 < len(args):
            value = args[index + 1]
        elif arg.startswith("--size="):
            value = arg.split("=", 1)[1]
        elif arg.startswith("-s") and len(arg) > 2:
            value = arg[2:]
        if value is not None and value.lstrip("0") == "" and value:
            return True
    return False


def check_find_delete(command: SimpleCommand) -> Iterator[Finding]:
    """`find / -delete`, `find ~ -exec rm -rf {} +` (under home: only without a name filter)."""
    if command.name != "find":
        return
    args = command.args
    deletes = "-delete" in args or any(
        a in ("-exec", "-execdir", "-ok", "-okdir")
        and i + 1 < len(args)
        and posixpath.basename(args[i + 1]) in ("rm", "shred", "unlink")
        for i, a in enumerate(args)
    )
    if not deletes:
        return
    filtered = any(a in ("-name", "-iname", "-path", "-ipath", "-regex", "-iregex") for a in args)
    for start in list(_find_starts(args)) or ["."]:
        path = resolve(command, start)
        target = critical_target(f"{path.rstrip('/')}/*")  # what is below the start
        if target is not None and not (filtered and path.startswith("~")):
            yield Finding("find-delete", f"find deleting files under {target.text}", command.line)


def _find_starts(args: list[str]) -> Iterator[str]:
    for arg in args:
        if arg.startswith(("-", "(", "!")):
            return
        yield arg


def check_move(command: SimpleCommand) -> Iterator[Finding]:
    """`mv ~ /dev/null`, `mv /etc /tmp`: moving away a critical directory or system file."""
    if command.name != "mv":
        return
    words = positionals(command.args, {"-t", "-S", "--target-directory", "--suffix"})
    explicit_target = any(a in ("-t", "--target-directory") for a in command.args)
    for source in words if explicit_target else words[:-1]:
        target = critical_target(resolve(command, source))
        if target is not None and target.kind not in ("parent", "git", "secret"):
            yield Finding("mv-critical", f"moves away {target.text}", command.line)


def check_disks(command: SimpleCommand) -> Iterator[Finding]:
    """Formatting, wiping, partitioning and raw writes to disk devices."""
    name, args = command.name, command.args
    devices = [a for a in args if DISK_DEVICE.match(a.split("=", 1)[-1])]
    line = command.line
    if (name.startswith("mkfs") or name in ("mke2fs", "mkswap", "newfs", "mkdosfs")) and devices:
        yield Finding("disk-format", "formats a disk or partition", line)
    elif name in ("wipefs",) and devices and ({"a", "o"} & short_flags(args) or "--all" in args):
        yield Finding("disk-wipe", "wipes a disk's signatures", line)
    elif name in ("shred", "blkdiscard") and devices:
        yield Finding("disk-wipe", "wipes a disk device", line)
    elif name in ("fdisk", "sfdisk", "cfdisk", "gdisk", "sgdisk", "parted") and devices:
        listing = {"-l", "--list", "-d", "--dump", "-p", "--print", "print"}
        if not listing & set(args):
            yield Finding("disk-partition", "changes a disk's partition table", line)
    elif name in ("lvremove", "vgremove", "pvremove") or (
        name in ("zpool", "zfs") and args[:1] == ["destroy"]
    ):
        yield Finding("volume-destroy", "destroys a storage volume or pool", line)
    elif _erases_disk(name, args):
        yield Finding("disk-wipe", "erases a disk", line)
    elif name.lower() == "format" and any(re.fullmatch(r"[a-zA-Z]:", a) for a in args):
        yield Finding("disk-format", "formats a drive", line)


def _erases_disk(name: str, args: list[str]) -> bool:
    if name == "diskutil":
        return bool(args) and args[0].lower() in _DISKUTIL_ERASE
    return name == "hdparm" and any(a.startswith("--security-erase") for a in args)


_DISKUTIL_ERASE = words(
    "erasedisk erasevolume partitiondisk zerodisk randomdisk secureerase reformat"
)


def check_written_files(command: SimpleCommand) -> Iterator[Finding]:
    """Writes (redirections, `dd of=`, `tee`, `cp`) to disk devices and to the shell history."""
    for target in written_paths(command):
        path = resolve(command, target)
        if DISK_DEVICE.match(path):
            yield Finding("disk-overwrite", f"writes directly to the disk device {path}",
                          command.raw_line or command.line)  # fmt: skip
        elif posixpath.basename(path) in HISTORY_FILES and command.name != "chmod":
            yield Finding("history-wipe", "overwrites the shell history", command.line)
