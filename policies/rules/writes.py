"""Which files a shell command writes, and which files a patch touches.

`written_paths(cmd)` lists the paths (as written, not normalised) a simple command creates,
overwrites, appends to or changes the metadata of: redirections (`>`, `>>`, `&>`), `tee`,
destinations of `cp` / `mv` / `install` / `ln` / `rsync`, `sed -i` / `perl -i` files,
`chmod` / `chown` / `chgrp` / `touch` / `truncate` targets, `dd of=`, `curl -o`, `wget -O`,
files opened for writing by inline Python / Node code, and the files of a patch fed to
`apply_patch`, `patch` or `git apply` as a here-document. Reads are not writes: `cat`, `less`,
`grep`, `cp`'s sources are never listed. Deleting (`rm`) is not a write either.
"""

from __future__ import annotations

import posixpath
import re

from policies.rules.code_paths import fold_code
from policies.rules.programs import interpreter_code, positionals
from policies.rules.shell_model import SimpleCommand

_COPY_OPTS = {"-t", "-S", "--target-directory", "--suffix", "-m", "-o", "-g", "--mode"}
_COPY_OPTS |= {"--owner", "--group", "--rsh", "--exclude", "--include", "--filter"}
_PATCH_PATHS = re.compile(
    r"^(?:\*\*\* (?:Update|Add|Delete) File: |\*\*\* Move to: |rename to "
    r"|\+\+\+ (?:b/)?|--- (?:a/)?)"
    r"(?P<path>[^\t\n]+?)\s*$",
    re.MULTILINE,
)
_DIFF_GIT = re.compile(r"^diff --git a/(\S+) b/(\S+)", re.MULTILINE)
_CODE_WRITES = re.compile(
    r"(?:\bopen\(\s*(?P<q1>['\"])(?P<p1>[^'\"]+)(?P=q1)\s*,\s*['\"][^'\"]*[wax+]"
    r"|(?:writeFileSync|appendFileSync|writeFile|appendFile)\(\s*(?P<q2>['\"])(?P<p2>[^'\"]+)(?P=q2)"
    r"|Path\(\s*(?P<q3>['\"])(?P<p3>[^'\"]+)(?P=q3)\s*\)\s*\.\s*write_(?:text|bytes))"
)


def written_paths(command: SimpleCommand) -> list[str]:
    """Paths `command` writes (see the module docstring), in the order they appear."""
    paths = [r.target for r in command.redirects if r.writes and r.target]
    name = command.name
    args = command.args
    handler = _HANDLERS.get(name)
    if handler is not None:
        paths += handler(args)
    elif name in ("sed", "perl", "ruby"):
        paths += _in_place(name, args)
    paths += _download_outputs(name, args)
    code = interpreter_code(command.argv)
    if code:
        folded = fold_code(code)  # `process.env.HOME + '/.npmrc'` → `'~/.npmrc'`
        paths += [
            next(p for p in m.group("p1", "p2", "p3") if p) for m in _CODE_WRITES.finditer(folded)
        ]
    if name in ("apply_patch", "applypatch", "patch") or command.argv[:2] == ["git", "apply"]:
        for redirect in command.redirects:
            if redirect.body is not None:
                paths += patch_paths(redirect.body)
    return [p for p in paths if p]


def patch_paths(text: str) -> list[str]:
    """The files a patch touches: `*** Update File:` / `*** Add File:` / `*** Move to:` (the
    apply_patch format) and `--- a/…` / `+++ b/…` / `diff --git` (unified diffs)."""
    paths: list[str] = []
    for match in _PATCH_PATHS.finditer(text):
        path = match.group("path").strip()
        if path != "/dev/null" and path not in paths:
            paths.append(path)
    for match in _DIFF_GIT.finditer(text):
        paths += [p for p in match.groups() if p not in paths]
    return paths


def _copy_destinations(args: list[str]) -> list[str]:
    """`cp`/`mv`/`install`/`ln`/`rsync`: the destination, and where each source lands in it
    when the destination looks like a directory (`dir/`, several sources, no file extension)."""
    for index, arg in enumerate(args):
        if arg in ("-t", "--target-directory") and index + 1 < len(args):
            return [args[index + 1]]
        if arg.startswith("--target-directory="):
            return [arg.split("=", 1)[1]]
    words = positionals(args, _COPY_OPTS)
    if "-d" in args or "--directory" in args:
        return words
    if len(words) < 2:
        return [posixpath.basename(w.rstrip("/")) for w in words]
    *sources, destination = words
    name = posixpath.basename(destination.rstrip("/"))
    looks_like_file = "." in name[1:] and not destination.endswith("/") and len(sources) == 1
    if looks_like_file:
        return [destination]
    landed = [posixpath.join(destination, posixpath.basename(s.rstrip("/"))) for s in sources]
    return [destination, *landed]


def _tee(args: list[str]) -> list[str]:
    return positionals(args)


def _metadata(args: list[str]) -> list[str]:
    """`chmod`/`chown`/`chgrp`: the files after the mode or owner (none with --reference)."""
    words = [a for a in args if not a.startswith("-") or re.fullmatch(r"-[rwxXst]+", a)]
    words = [w for w in words if w != "--"]
    if any(a.startswith("--reference") for a in args):
        return words
    return words[1:]


def _touch(args: list[str]) -> list[str]:
    return positionals(args, {"-d", "-t", "-r", "-s", "--date", "--reference", "--size"})


def _dd(args: list[str]) -> list[str]:
    return [a[3:] for a in args if a.startswith("of=")]


_HANDLERS = {
    "cp": _copy_destinations,
    "mv": _copy_destinations,
    "install": _copy_destinations,
    "ln": _copy_destinations,
    "rsync": _copy_destinations,
    "tee": _tee,
    "chmod": _metadata,
    "chown": _metadata,
    "chgrp": _metadata,
    "chattr": _touch,
    "touch": _touch,
    "truncate": _touch,
    "dd": _dd,
}


def _in_place(name: str, args: list[str]) -> list[str]:
    """Files edited in place by `sed -i`, `perl -i -pe …`, `ruby -i -pe …`."""
    if name == "sed":
        in_place = any(
            a.startswith(("-i", "--in-place"))
            or (a.startswith("-") and not a.startswith("--") and "i" in a[1:])
            for a in args
        )
        if not in_place:
            return []
        scripted = any(a in ("-e", "-f", "--expression", "--file") for a in args)
        words = [w for w in positionals(args, {"-e", "-f", "--expression", "--file", "-l"}) if w]
        return words if scripted else words[1:]
    if not any(a.startswith("-") and not a.startswith("--") and "i" in a for a in args):
        return []
    return [w for w in positionals(args, {"-e", "-E", "-I", "-M"}) if w]


def _download_outputs(name: str, args: list[str]) -> list[str]:
    """`curl -o FILE` / `--output FILE`, `wget -O FILE` / `--output-document=FILE`."""
    flags = {"curl": ("-o", "--output"), "wget": ("-O", "--output-document")}.get(name)
    if flags is None:
        return []
    out: list[str] = []
    for index, arg in enumerate(args):
        if arg in flags and index + 1 < len(args):
            out.append(args[index + 1])
        elif arg.startswith(flags[1] + "="):
            out.append(arg.split("=", 1)[1])
        elif arg.startswith(flags[0]) and len(arg) > 2 and not arg.startswith("--"):
            out.append(arg[2:])
    return [p for p in out if p != "-"]
