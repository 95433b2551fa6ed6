"""Data destruction beyond files: databases, containers and clusters, cloud storage and
resources. Scope decides here too: `DELETE … WHERE`, `redis-cli DEL key`, `kubectl delete pod
NAME -n dev`, `docker compose down` and `aws s3 rm` of one object are fine; `DROP TABLE`,
`FLUSHALL`, `docker compose down -v`, `kubectl delete namespace`, `aws s3 rm --recursive` are not.

SQL is read from client options (`psql -c`, `mysql -e`, `sqlite3 db 'SQL'`, `--query`), and from
here-documents, here-strings and text piped into a client (see `check_sql_pipelines`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from policies.rules.findings import Finding
from policies.rules.programs import positionals, short_flags, words
from policies.rules.shell_model import Script, SimpleCommand
from policies.rules.shell_normalise import stream_text

SQL_CLIENTS = words(
    "psql mysql mariadb sqlite3 duckdb cockroach clickhouse-client clickhouse sqlcmd snowsql "
    "mysqlsh pgcli mycli litecli usql bq trino presto cqlsh"
)
_DESTRUCTIVE_SQL = re.compile(
    r"\bdrop\s+(?:database|schema|table|keyspace|collection|owned)\b"
    r"|\btruncate\s+(?:table\s+)?(?!\s)"
    r"|\bdelete\s+from\s+[\w.\"`\[\]]+\s*(?:;|$)",
    re.IGNORECASE | re.MULTILINE,
)
_MONGO_DROP = re.compile(r"dropDatabase\s*\(|\.drop\s*\(|deleteMany\s*\(\s*\{\s*\}\s*\)")
_REDIS_WIPE = re.compile(r"^(?:flushall|flushdb)$", re.IGNORECASE)
_DB_TASKS = (
    re.compile(r"^(?:python\S*\s+)?\S*manage\.py\s+(?:flush|reset_db|sqlflush)\b"),
    re.compile(r"\b(?:rails|rake)\s+db:(?:drop|reset|purge|schema:load|setup)\b"),
    re.compile(r"\bprisma\s+(?:migrate\s+reset|db\s+push\s+.*--force-reset)\b"),
    re.compile(r"\bsequelize(?:-cli)?\s+db:drop\b"),
    re.compile(r"\balembic\s+downgrade\s+base\b"),
    re.compile(r"\bartisan\s+(?:migrate:fresh|migrate:reset|db:wipe)\b"),
    re.compile(r"\bmix\s+ecto\.(?:drop|reset)\b"),
    re.compile(r"\btypeorm\s+schema:drop\b"),
    re.compile(r"\bknex\s+migrate:rollback\s+.*--all\b"),
    re.compile(r"\bflask\s+db\s+downgrade\s+base\b"),
)
_CLUSTER_KINDS = words(
    "namespace namespaces ns pv pvc persistentvolume persistentvolumes persistentvolumeclaim "
    "persistentvolumeclaims crd crds customresourcedefinition customresourcedefinitions node "
    "nodes statefulset statefulsets sts"
)
_PROD = re.compile(r"^(?:prod|production|live|prd)(?:[-_].*)?$", re.IGNORECASE)
_LOCAL_CLUSTERS = words("kind minikube k3d microk8s")
_CLOUD_DELETE = re.compile(r"^(?:delete|terminate|remove|deregister|purge|destroy)\b|-deletion$")
_HARMLESS_CLOUD = words("delete-message delete-message-batch delete-tags remove-tags")


def check_database(command: SimpleCommand) -> Iterator[Finding]:
    """Destructive SQL given to a client, Redis and MongoDB wipes, `dropdb`, framework tasks
    that drop or reset the database."""
    name, args, line = command.name, command.args, command.line
    if name in SQL_CLIENTS:
        bodies = [r.body for r in command.redirects if r.body is not None]
        if any(_DESTRUCTIVE_SQL.search(text) for text in (*args, *bodies)):
            yield Finding("db-drop", f"runs destructive SQL with {name}", command.raw_line)
    elif name == "redis-cli":
        bodies = [r.body or "" for r in command.redirects]
        if any(_REDIS_WIPE.match(a) for a in args) or any(
            _REDIS_WIPE.match(t.strip()) for t in bodies
        ):
            yield Finding("db-drop", "wipes a Redis database (FLUSHALL/FLUSHDB)", line)
    elif name in ("mongo", "mongosh"):
        if any(_MONGO_DROP.search(a) for a in args):
            yield Finding("db-drop", "drops a MongoDB database or collection", line)
    elif name in ("dropdb", "dropuser") or (name == "mysqladmin" and "drop" in args):
        yield Finding("db-drop", "drops a database", line)
    elif any(task.search(line) for task in _DB_TASKS):
        yield Finding("db-wipe-task", "drops or resets the application's database", line)


def check_sql_pipelines(script: Script) -> Iterator[Finding]:
    """`echo 'DROP TABLE x' | psql`, `echo FLUSHALL | redis-cli`: text piped into a client."""
    for pipeline in script.walk_pipelines():
        stages = pipeline.stages
        for index in range(1, len(stages)):
            stage = stages[index]
            if not isinstance(stage, SimpleCommand) or stage.name not in (
                *SQL_CLIENTS,
                "redis-cli",
            ):
                continue
            before = [s for s in stages[:index] if isinstance(s, SimpleCommand)]
            output = stream_text(before) if len(before) == index else None
            if output is None:
                continue
            text = output.text
            if _DESTRUCTIVE_SQL.search(text) or any(_REDIS_WIPE.match(w) for w in text.split()):
                yield Finding("db-drop", f"pipes destructive commands into {stage.name}",
                              pipeline.line)  # fmt: skip


def check_containers(command: SimpleCommand) -> Iterator[Finding]:
    """Volumes deleted (`docker volume rm/prune`, `prune --volumes`, `compose down -v`), every
    container removed, namespaces/volumes/`--all` deleted in Kubernetes, Helm releases
    uninstalled, clusters deleted (local throwaway clusters are fine)."""
    name, args, line = command.name, command.args, command.line
    if name in ("docker", "podman", "nerdctl", "docker-compose"):
        yield from _docker(name, args, command)
    elif name == "kubectl" or name == "oc":
        yield from _kubectl(args, line)
    elif name == "helm" and args[:1] and args[0] in ("uninstall", "delete", "del", "un"):
        yield Finding("cluster-delete", "uninstalls a Helm release", line)
    elif (name, args[:2]) in (("eksctl", ["delete", "cluster"]),) or (
        name in ("gcloud", "az", "doctl")
        and "delete" in args
        and set(args) & {"clusters", "cluster", "aks", "kubernetes"}
    ):
        yield Finding("cluster-delete", "deletes a Kubernetes cluster", line)


def _docker(name: str, args: list[str], command: SimpleCommand) -> Iterator[Finding]:
    line = command.line
    sub = args[:2] if name != "docker-compose" else ["compose", *args[:1]]
    volumes = "--volumes" in args or "v" in short_flags(args)
    if sub[:1] == ["volume"] and sub[1:] and sub[1] in ("rm", "remove", "prune"):
        yield Finding("container-volumes", "deletes container volumes (their data)", line)
    elif sub == ["system", "prune"] and "--volumes" in args:
        yield Finding("container-volumes", "prunes every unused volume (their data)", line)
    elif sub == ["compose", "down"] and volumes:
        yield Finding("container-volumes", "deletes the project's volumes (their data)", line)
    elif sub == ["system", "reset"]:
        yield Finding("container-wipe", "deletes every container, image and volume", line)
    elif sub[:1] in (["rm"], ["container"]) and _lists_all_containers(command):
        yield Finding("container-wipe", "removes every container", line)
    elif sub[:1] in (["run"], ["create"]) and _mounts_host_root(args):
        yield Finding("container-host", "gives a container the host's root filesystem", line)


def _mounts_host_root(args: list[str]) -> bool:
    """`-v /:/host`, `--volume=/:/mnt`, `--mount type=bind,source=/,…`."""
    for index, arg in enumerate(args):
        value = (
            args[index + 1]
            if arg in ("-v", "--volume", "--mount") and index + 1 < len(args)
            else ""
        )
        value = value or (arg.split("=", 1)[1] if arg.startswith(("--volume=", "--mount=")) else "")
        if value.split(":")[0] == "/" or re.search(r"(?:source|src)=/(?:,|$)", value):
            return True
    return False


def _lists_all_containers(command: SimpleCommand) -> bool:
    for script in command.substitutions:
        for inner in script.walk():
            if inner.name in ("docker", "podman") and inner.args[:1] == ["ps"]:
                flags = short_flags(inner.args)
                if "a" in flags or "--all" in inner.args:
                    return "--filter" not in inner.args and "f" not in flags
    return False


def _kubectl(args: list[str], line: str) -> Iterator[Finding]:
    if "delete" not in args:
        return
    rest = args[args.index("delete") + 1 :]
    kinds = {k for w in positionals(rest, _KUBECTL_OPTS)[:1] for k in w.lower().split(",")}
    namespace = _option(args, ("-n", "--namespace", "--context", "--cluster"))
    if "--all" in rest or {"-A", "--all-namespaces"} & set(rest):
        yield Finding("cluster-delete", "deletes every object of a kind (--all)", line)
    elif kinds & _CLUSTER_KINDS:
        yield Finding("cluster-delete", f"deletes Kubernetes {', '.join(sorted(kinds))}", line)
    elif namespace and _PROD.match(namespace) and not kinds <= {"pod", "pods", "po", "job", "jobs"}:
        yield Finding("cluster-delete", f"deletes objects in the {namespace} namespace", line)


_KUBECTL_OPTS = frozenset(
    [
        "-n",
        "--namespace",
        "-l",
        "--selector",
        "-f",
        "--filename",
        "-o",
        "--output",
        "--context",
        "--cluster",
        "--grace-period",
        "--timeout",
        "--field-selector",
        "-R",
    ]
)


def _option(args: list[str], names: tuple[str, ...]) -> str | None:
    for index, arg in enumerate(args):
        if arg in names and index + 1 < len(args):
            return args[index + 1]
        if "=" in arg and arg.split("=", 1)[0] in names:
            return arg.split("=", 1)[1]
    return None


def check_cloud(command: SimpleCommand) -> Iterator[Finding]:
    """Buckets emptied or removed, cloud resources deleted or terminated, stacks destroyed."""
    name, args, line = command.name, command.args, command.line
    ops = positionals(args, _CLOUD_GLOBAL_OPTS)
    if name == "aws":
        yield from _aws(ops, args, line)
    elif name == "gsutil" and ops[:1] in (["rm"], ["rb"]):
        recursive = {"r", "R", "a"} & short_flags(args) or any("*" in o for o in ops[1:])
        if ops[0] == "rb" or recursive:
            yield Finding("cloud-delete", "deletes a storage bucket's objects", line)
    elif name == "gcloud" and ops[:2] == ["storage", "rm"]:
        if {"r", "R"} & short_flags(args) or "--recursive" in args or any("*" in o for o in ops):
            yield Finding("cloud-delete", "deletes a storage bucket's objects", line)
    elif name in ("gcloud", "az", "doctl") and any(_CLOUD_DELETE.match(o) for o in ops):
        yield Finding("cloud-delete", f"deletes cloud resources ({' '.join(ops[:4])})", line)
    elif (name in ("terraform", "tofu", "pulumi", "cdk") and "destroy" in ops) or (
        name in ("terraform", "tofu") and "apply" in ops and "-destroy" in args
    ):
        yield Finding("infra-destroy", "destroys managed infrastructure", line)
    elif name in ("serverless", "sls") and ops[:1] == ["remove"]:
        yield Finding("infra-destroy", "removes a deployed service", line)
    elif name == "rclone" and ops[:1] and ops[0] in ("purge", "delete", "rmdirs"):
        yield Finding("cloud-delete", f"rclone {ops[0]} deletes remote files", line)


_CLOUD_GLOBAL_OPTS = frozenset(
    [
        "--profile",
        "--region",
        "--output",
        "--endpoint-url",
        "--query",
        "--project",
        "--account",
        "--format",
        "--subscription",
        "-g",
        "--resource-group",
        "--name",
        "-n",
        "--account-name",
        "--bucket",
        "--stack-name",
        "--instance-ids",
        "--table-name",
        "--db-instance-identifier",
        "--function-name",
        "--user-name",
        "--snapshot-id",
        "--key-id",
        "--source",
        "--container-name",
        "--pending-window-in-days",
    ]
)


def _aws(ops: list[str], args: list[str], line: str) -> Iterator[Finding]:
    if ops[:2] == ["s3", "rm"]:
        if "--recursive" in args or any(o.endswith("*") for o in ops[2:]):
            yield Finding("cloud-delete", "deletes every object under an S3 prefix", line)
    elif ops[:2] == ["s3", "rb"]:
        yield Finding("cloud-delete", "removes an S3 bucket", line)
    elif (
        ops[:2] == ["s3", "sync"]
        and "--delete" in args
        and ops[-1:]
        and ops[-1].startswith("s3://")
    ):
        yield Finding("cloud-delete", "sync --delete removes objects from a bucket", line)
    elif len(ops) >= 2 and _CLOUD_DELETE.search(ops[1]) and ops[1] not in _HARMLESS_CLOUD:
        yield Finding("cloud-delete", f"aws {ops[0]} {ops[1]} deletes cloud resources", line)
