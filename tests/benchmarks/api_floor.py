"""The floor for the API benchmark: bare Flask routes with hand-written SQL that give the same
responses as ``GET /api/v1/coops/{slug}/pay`` and ``PUT …/proposals/{id}/ballot``, served by
waitress with the same settings as `coop serve`.

No services, no ORM, no marshmallow: one connection per request from the same engine
configuration as the app (SQLite WAL, ``BEGIN IMMEDIATE``; or PostgreSQL), the SQL written
out on the driver's own cursor, the JSON built by hand. It does the same work the endpoint's
semantics demand (the public-pages check; the token's validity and scope; the proposal,
locked against a concurrent close; the electorate; the live ballot's upsert, its history
row and audit event; after a first ballot, the count that would close the vote early) and
nothing else. What the app does beyond it: the rate limit per token, refreshing the
token's ``last_used_at`` (hourly), a separate lookup of the co-op, and field-level
problem+json for every refusal.

Run: ``python tests/benchmarks/api_floor.py DATABASE_URL PORT THREADS``
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import sys
from decimal import Decimal

import waitress
from flask import Flask, Response, request

from coop.db import make_engine

PAY_SQL = """
SELECT pr.member_id, m.name, pr.hourly_rate, pr.weekly_hours, pr.supplements, pr.currency,
       pr.annualised, pr.effective_date, pr.entry_index, pr.authority, pr.proposal_id
FROM pay_records pr
JOIN (SELECT member_id, max(entry_index) AS entry_index FROM pay_records WHERE coop_id = ?
      GROUP BY member_id) latest
  ON latest.member_id = pr.member_id AND latest.entry_index = pr.entry_index
JOIN members m ON m.id = pr.member_id
WHERE pr.coop_id = ?
ORDER BY m.name, m.id
"""

TOKEN_SQL = """
SELECT t.member_id, t.scopes, t.revoked_at, t.expires_at, m.status, m.coop_id
FROM api_tokens t JOIN members m ON m.id = t.member_id WHERE t.token_hash = ?
"""

UPSERT_SQL = """
INSERT INTO ballots (proposal_id, member_id, choice, approvals, cast_at, changes)
VALUES (?, ?, ?, NULL, ?, 0)
ON CONFLICT (proposal_id, member_id) DO UPDATE
SET choice = excluded.choice, approvals = NULL, cast_at = excluded.cast_at, changes = ballots.changes + 1
RETURNING proposal_id, member_id, choice, approvals, cast_at, changes
"""


def money(value: object) -> str:
    return f"{Decimal(str(value)):.2f}"


def problem(status: int, detail: str) -> Response:
    return Response(json.dumps({"type": "about:blank", "status": status, "detail": detail}), status=status,
                    mimetype="application/problem+json")


def create_floor(url: str) -> Flask:
    engine = make_engine(url)
    postgres = engine.dialect.name == "postgresql"

    def sql(statement: str) -> str:
        # psycopg's placeholder is %s; the proposal is locked as the app locks it (on SQLite
        # BEGIN IMMEDIATE has already taken the database's only write lock).
        return statement.replace("?", "%s").replace("{lock}", "FOR UPDATE OF p") if postgres \
            else statement.replace("{lock}", "")

    pay_sql, token_sql, upsert_sql = sql(PAY_SQL), sql(TOKEN_SQL), sql(UPSERT_SQL)
    coop_sql = sql("SELECT id, currency, public_pages FROM cooperatives WHERE slug = ?")
    proposal_sql = sql("SELECT p.status, p.kind, p.electorate_size FROM proposals p JOIN cooperatives c "
                       "ON c.id = p.coop_id WHERE p.id = ? AND c.slug = ? AND c.id = ? {lock}")
    electorate_sql = sql("SELECT 1 FROM electorate_members WHERE proposal_id = ? AND member_id = ?")
    history_sql = sql("INSERT INTO ballot_history (proposal_id, member_id, choice, approvals, cast_at) "
                      "VALUES (?, ?, ?, NULL, ?)")
    audit_sql = sql("INSERT INTO audit_events (coop_id, actor_id, action, object_type, object_id, at, details) "
                    "VALUES (?, ?, 'ballot.cast', 'proposal', ?, ?, ?)")
    count_sql = sql("SELECT count(*) FROM ballots WHERE proposal_id = ?")
    app = Flask(__name__)

    @app.get("/floor/coops/<slug>/pay")
    def pay(slug: str) -> Response:
        with engine.begin() as conn:
            raw = conn.connection.driver_connection
            coop = raw.execute(coop_sql, (slug,)).fetchone()
            if coop is None or not coop[2]:
                return problem(404, "no such co-op")
            rows = raw.execute(pay_sql, (coop[0], coop[0])).fetchall()
        lines = []
        for member_id, name, rate, hours, supplements, currency, annualised, effective, index, authority, pid in rows:
            supplements = json.loads(supplements) if isinstance(supplements, str) else supplements
            total = Decimal(str(rate)) + sum((Decimal(s["amount"]) for s in supplements), Decimal(0))
            if total == 0:
                continue
            lines.append({
                "member_id": member_id, "member_name": name, "hourly_rate": money(rate), "weekly_hours": money(hours),
                "supplements": [{"kind": s["kind"], "amount": money(s["amount"]), "reason": s["reason"],
                                 "qualification_id": s.get("qualification_id")} for s in supplements],
                "total_hourly": money(total), "annualised": money(annualised), "currency": currency,
                "effective_date": str(effective)[:10], "entry_index": index, "authority": authority,
                "proposal_id": pid})
        body = {"as_of": None, "currency": coop[1], "count": len(lines), "lines": lines}
        return Response(json.dumps(body, separators=(",", ":")), mimetype="application/json")

    @app.put("/floor/coops/<slug>/proposals/<int:proposal_id>/ballot")
    def ballot(slug: str, proposal_id: int) -> Response:
        token = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        choice = (request.get_json(silent=True) or {}).get("choice")
        if choice not in ("yes", "no", "abstain"):
            return problem(422, "choice")
        now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        # SQLite keeps times as the text SQLAlchemy writes; PostgreSQL as timestamps.
        stamp = now if postgres else now.isoformat(sep=" ")
        with engine.begin() as conn:
            raw = conn.connection.driver_connection
            found = raw.execute(token_sql, (hashlib.sha256(token.encode()).hexdigest(),)).fetchone()
            if found is None or found[2] is not None or found[4] != "active":
                return problem(401, "token")
            expires = found[3] if found[3] is None or isinstance(found[3], dt.datetime) \
                else dt.datetime.fromisoformat(found[3])
            if expires is not None and expires <= now:
                return problem(401, "token")
            member_id, scopes, coop_id = found[0], found[1].split(), found[5]
            if "vote" not in scopes:
                return problem(403, "scope")
            p = raw.execute(proposal_sql, (proposal_id, slug, coop_id)).fetchone()
            if p is None:
                return problem(404, "proposal")
            if p[0] != "voting" or p[1] == "election":
                return problem(409, "status")
            if raw.execute(electorate_sql, (proposal_id, member_id)).fetchone() is None:
                return problem(403, "electorate")
            row = raw.execute(upsert_sql, (proposal_id, member_id, choice, stamp)).fetchone()
            raw.execute(history_sql, (proposal_id, member_id, choice, stamp))
            raw.execute(audit_sql, (coop_id, member_id, proposal_id, stamp, json.dumps({"choice": choice})))
            # As in the app: only a first ballot (changes = 0) can complete the electorate.
            if row[5] == 0 and raw.execute(count_sql, (proposal_id,)).fetchone()[0] >= (p[2] or 0):
                raise RuntimeError("the benchmark must never complete the electorate (closing is not floored)")
        body = {"proposal_id": row[0], "member_id": row[1], "choice": row[2], "approvals": None,
                "cast_at": dt.datetime.fromisoformat(str(row[4])).isoformat(timespec="seconds") + "Z",
                "changes": row[5]}
        return Response(json.dumps(body, separators=(",", ":")), mimetype="application/json")

    return app


if __name__ == "__main__":
    url, port, threads = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    waitress.serve(create_floor(url), host="127.0.0.1", port=port, threads=threads, ident="floor")
