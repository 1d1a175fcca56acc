"""Schemathesis against the live server's published spec: no 5xx, and every answer conforms
(status documented, content type, body schema, documented headers).

The server is a real `coop serve` (waitress) over the seeded demo database. Every operation
is fuzzed with valid inputs (``positive``: they reach the services) and with inputs that
break the schema (``negative``: they must be refused with a 4xx), as the demo admin, whose
token has every scope. The examples per operation are bounded so this runs in CI.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

schemathesis = pytest.importorskip("schemathesis")

import requests  # noqa: E402  (schemathesis brings it)
from hypothesis import HealthCheck, Phase, given, settings  # noqa: E402
from schemathesis import GenerationMode  # noqa: E402
from schemathesis.checks import not_a_server_error  # noqa: E402
from schemathesis.specs.openapi.checks import (  # noqa: E402
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.api.live import Live, create_token, seed_demo, serve  # noqa: E402

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance, response_headers_conformance]
EXAMPLES = {GenerationMode.POSITIVE: 12, GenerationMode.NEGATIVE: 8}


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    workdir: Path = tmp_path_factory.mktemp("fuzz")
    # Limits high enough that the fuzzer's own volume is not what it measures; the 429s
    # are tested in test_api_auth.
    env = seed_demo(workdir, COOP_API_TOKEN_LIMIT="100000", COOP_API_BAD_TOKEN_LIMIT="100000",
                    COOP_API_ANONYMOUS_LIMIT="100000", COOP_LOGIN_FAILURES_PER_ACCOUNT="100000",
                    COOP_LOGIN_FAILURES_PER_ADDRESS="100000")
    with serve(env) as server:
        yield server


def _order(op: Any) -> tuple[int, str]:
    # Deletions last, so revoking the fuzzer's own token (ids are small) ends nothing early.
    return (op.method.upper() == "DELETE", op.label)


def test_fuzzing_the_live_api_finds_no_5xx_and_no_schema_violation(live: Live) -> None:
    token = create_token(live.env, "ada@riverside.example", "read", "vote", "propose", "admin")
    schema = schemathesis.openapi.from_url(live.base_url + "/api/v1/openapi.json")
    operations = sorted((r.ok() for r in schema.get_all_operations()), key=_order)
    assert len(operations) >= 35, [op.label for op in operations]
    http = requests.Session()
    headers = {"Authorization": f"Bearer {token}"}
    failures: list[str] = []
    calls = {"n": 0, "5xx": 0}
    statuses: dict[int, int] = {}

    for op in operations:
        for mode, examples in EXAMPLES.items():
            strategy = op.as_strategy(generation_mode=mode, path_parameters={"slug": "demo"}
                                      if "{slug}" in op.path and mode is GenerationMode.POSITIVE else None)

            @settings(max_examples=examples, deadline=None, database=None, derandomize=True,
                      phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
            @given(case=strategy)
            def run(case: Any) -> None:
                response = case.call(base_url=live.base_url, session=http, headers=headers, timeout=30)
                calls["n"] += 1
                statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
                calls["5xx"] += response.status_code >= 500
                try:
                    case.validate_response(response, checks=CHECKS, headers=headers)
                except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001  (reported together below)
                    failures.append(f"{mode.value} {op.label} -> {response.status_code}: {str(exc)[:600]}")

            run()

    print(f"{calls['n']} requests over {len(operations)} operations; statuses {sorted(statuses.items())}")
    assert calls["n"] > 400
    assert calls["5xx"] == 0 and not failures, f"{len(failures)} failures:\n" + "\n\n".join(failures[:15])
