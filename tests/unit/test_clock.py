"""Time is an input: only the entry points read the wall clock (coop/clock.py says why).

Under ``coop/`` the clock is read by ``coop.clock.utcnow`` alone, and only the command-line
entry point (``coop/cli/base.py``) calls it; the web entry point (``webui``) reads it through
the app's ``coop.clock``. Tests read ``tests.clock`` instead, except those that drive a real
server in another process or thread on the wall clock (browser tests, benchmarks).
"""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

#: ``datetime.now()``, ``date.today()``, ``time.time()``… whatever the module is called.
WALL_CLOCK_CALLS = {"now", "utcnow", "today", "time", "localtime", "gmtime", "fromtimestamp", "utcfromtimestamp"}
WALL_CLOCK_OWNERS = {"datetime", "date", "dt", "time", "func"}  # func.now(): the database's clock
#: The core's entry points and the clock itself.
CORE_MAY_READ = {"coop/clock.py", "coop/cli/base.py"}
#: Tests whose server runs on the wall clock in another thread or process.
TESTS_MAY_READ = ("tests/e2e/", "tests/benchmarks/", "tests/unit/test_clock.py")


def clock_reads(source: str) -> list[int]:
    """Line numbers where ``source`` reads the wall clock: a call such as ``dt.datetime.now()``
    or ``time.time()``, or any mention of ``utcnow``."""
    lines = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                and node.func.attr in WALL_CLOCK_CALLS:
            owner = node.func.value
            name = owner.attr if isinstance(owner, ast.Attribute) else getattr(owner, "id", "")
            if name in WALL_CLOCK_OWNERS:
                lines.append(node.lineno)
        elif isinstance(node, ast.Name) and node.id == "utcnow":
            lines.append(node.lineno)
        elif isinstance(node, ast.Attribute) and node.attr == "utcnow":
            lines.append(node.lineno)
        elif isinstance(node, ast.ImportFrom) and any(a.name == "utcnow" for a in node.names):
            lines.append(node.lineno)
    return sorted(set(lines))


def offenders(folder: str, allowed: tuple[str, ...] | set[str]) -> list[str]:
    found = []
    for path in sorted((ROOT / folder).rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        if rel in allowed or rel.startswith(tuple(a for a in allowed if a.endswith("/"))):
            continue
        found += [f"{rel}:{n}" for n in clock_reads(path.read_text())]
    return found


def test_no_code_under_coop_reads_the_wall_clock_except_the_entry_points():
    assert offenders("coop", CORE_MAY_READ) == []


def test_no_test_reads_the_wall_clock_outside_the_real_server_tests():
    assert offenders("tests", TESTS_MAY_READ) == []


def test_the_clock_check_finds_every_way_of_reading_the_clock():
    source = "\n".join([
        "import datetime as dt, time",
        "from coop.clock import utcnow",
        "a = dt.datetime.now(dt.UTC)",
        "b = dt.date.today()",
        "c = time.time()",
        "d = utcnow()",
        "e = func.now()",
        "f = dt.timedelta(days=1)",  # not a clock read
        "g = time.monotonic()",  # a duration, not a date
    ])
    assert clock_reads(source) == [2, 3, 4, 5, 6, 7]
