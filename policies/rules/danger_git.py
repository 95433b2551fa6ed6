"""Repositories and their history: force pushes and branch deletions on default branches,
uncommitted work discarded, the reflog expired, whole repositories deleted.

Scope decides: `git push --force-with-lease origin feature/x` (a named feature branch) and
`git push --force-with-lease` (the current branch, with a lease) are fine; a force push to a
protected branch, `--mirror`, `--all`, or a bare `git push --force` (whatever is checked out,
no lease) is not. `git checkout -- one/file.py` is fine; `git checkout -- .` is not.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterator, Sequence

from policies.rules.findings import Finding
from policies.rules.programs import long_flags, positionals, short_flags
from policies.rules.shell_model import SimpleCommand

DEFAULT_PROTECTED_BRANCHES = (
    "main", "master", "trunk", "develop", "development", "production", "prod", "staging",
    "release", "release/*", "stable", "gh-pages",
)  # fmt: skip
_GIT_GLOBAL_ARG_OPTS = frozenset(
    {"-C", "-c", "--git-dir", "--work-tree", "--namespace", "--super-prefix", "--config-env"}
)
_PUSH_ARG_OPTS = frozenset({"-o", "--push-option", "--repo", "--receive-pack", "--exec"})
_WHOLE_TREE = frozenset({".", "*", ":/", "./", ":(top)", "-A"})


def git_subcommand(args: list[str]) -> tuple[str, list[str]]:
    """(`push`, its arguments) for `git -C dir -c k=v push …`."""
    index = 0
    while index < len(args):
        arg = args[index]
        if arg in _GIT_GLOBAL_ARG_OPTS:
            index += 2
        elif arg.startswith("-"):
            index += 1
        else:
            return arg, args[index + 1 :]
    return "", []


def check_git(
    command: SimpleCommand,
    *,
    block_force_push: bool = True,
    block_discard: bool = True,
    protected: Sequence[str] = DEFAULT_PROTECTED_BRANCHES,
) -> Iterator[Finding]:
    """Every repository rule for one `git`/`gh` command (see the module docstring)."""
    if command.name == "gh":
        yield from _check_gh(command)
        return
    if command.name != "git":
        return
    subcommand, rest = git_subcommand(command.args)
    line = command.line
    if subcommand == "push":
        fed = "xargs" in command.wrappers
        yield from _check_push(rest, line, block_force_push, protected, fed)
    elif subcommand == "reflog" and rest[:1] == ["expire"] and _expires_now(rest):
        yield Finding("git-history-wipe", "expires the reflog (no way back to lost commits)", line)
    elif subcommand == "gc" and any(a.startswith("--prune=") and "now" in a for a in rest):
        yield Finding("git-history-wipe", "prunes unreachable commits now", line)
    elif block_discard:
        reason = _discards(subcommand, rest)
        if reason:
            yield Finding("git-hard-reset", f"{reason} (uncommitted work is lost)", line)


def _check_push(
    args: list[str], line: str, block_force: bool, protected: Sequence[str], fed: bool
) -> Iterator[Finding]:
    flags = long_flags(args)
    words = positionals(args, _PUSH_ARG_OPTS)
    refspecs = words[1:]
    deleting = "--delete" in flags or "d" in short_flags(args)
    targets = [_destination(r) for r in refspecs]
    deleted = targets if deleting else [_destination(r) for r in refspecs if r.startswith(":")]
    if any(_is_protected(t, protected) for t in deleted if t):
        yield Finding("git-delete-branch", "deletes a default or protected branch", line)
    elif "--prune" in flags:
        yield Finding("git-delete-branch", "deletes every remote branch missing locally", line)
    elif deleting and not targets and fed:
        yield Finding("git-delete-branch", "deletes remote branches listed by a pipeline", line)
    if not block_force:
        return
    lease = any(f.startswith("--force-with-lease") for f in flags)
    forced = (
        "--force" in flags
        or lease
        or any(re.fullmatch(r"-[a-zA-Z46]*f[a-zA-Z46]*", a) for a in args)
        or any(r.startswith("+") for r in refspecs)
    )
    if "--mirror" in flags:
        yield Finding("git-force-push", "mirror push overwrites every remote branch", line)
    elif forced and ("--all" in flags or "--branches" in flags):
        yield Finding("git-force-push", "force push of every branch", line)
    elif forced:
        named = [t for t in targets if t and t != "HEAD"]
        if any(_is_protected(t, protected) for t in named):
            yield Finding("git-force-push", "force push rewrites a protected branch", line)
        elif not named and not lease:
            reason = "force push without a lease to whatever branch is checked out"
            yield Finding("git-force-push", reason, line)


def _destination(refspec: str) -> str:
    """The remote branch a refspec writes (`+src:refs/heads/x` → `x`, `HEAD` → `HEAD`)."""
    ref = refspec.lstrip("+")
    ref = ref.split(":", 1)[1] if ":" in ref else ref
    return ref.removeprefix("refs/heads/")


def _is_protected(branch: str, protected: Sequence[str]) -> bool:
    return any(fnmatch.fnmatchcase(branch, pattern) for pattern in protected)


def _expires_now(args: list[str]) -> bool:
    return any(
        a.split("=", 1)[0] in ("--expire", "--expire-unreachable")
        and a.split("=", 1)[-1] in ("now", "all", "0")
        for a in args
    )


def _discards(subcommand: str, args: list[str]) -> str | None:
    """Why this subcommand throws away uncommitted work, or None."""
    flags = short_flags(args)
    paths = positionals(args, {"-s", "--source", "-b", "-B", "--pathspec-from-file"})
    whole = not paths or bool(set(paths) & _WHOLE_TREE)
    if subcommand == "reset" and "--hard" in args:
        return "git reset --hard"
    if subcommand == "checkout":
        after = args[args.index("--") + 1 :] if "--" in args else paths[1:] if paths else []
        if "f" in flags or "--force" in args:
            return "git checkout --force"
        if set(after) & _WHOLE_TREE or set(paths) & {".", ":/"}:
            return "git checkout of the whole tree"
    if subcommand == "restore":
        staged_only = ("S" in flags or "--staged" in args) and not (
            "W" in flags or "--worktree" in args
        )
        if not staged_only and whole and paths:
            return "git restore of the whole tree"
    if subcommand == "clean" and ("f" in flags or "--force" in args):
        dry = "n" in flags or "--dry-run" in args
        if not dry and (not paths or set(paths) & _WHOLE_TREE):
            return "git clean of the whole tree"
    if subcommand == "stash" and args[:1] == ["clear"]:
        return "git stash clear"
    return None


def _check_gh(command: SimpleCommand) -> Iterator[Finding]:
    """`gh repo delete`, `gh api -X DELETE repos/…`: deleting a whole repository."""
    args = command.args
    method = _option(args, ("-X", "--method"))
    if args[:2] == ["repo", "delete"] or (
        args[:1] == ["api"]
        and (method or "").upper() == "DELETE"
        and any(re.fullmatch(r"/?repos/[^/]+/[^/]+/?", a) for a in args)
    ):
        yield Finding("repo-delete", "deletes a GitHub repository", command.line)


def _option(args: list[str], names: tuple[str, ...]) -> str | None:
    for index, arg in enumerate(args):
        if arg in names and index + 1 < len(args):
            return args[index + 1]
        if "=" in arg and arg.split("=", 1)[0] in names:
            return arg.split("=", 1)[1]
    return None
