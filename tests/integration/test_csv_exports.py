"""The CSV a spreadsheet opens never runs what members typed: names and titles that start like
a formula are quoted, amounts stay numbers, and each entry's body is there byte for byte."""

from __future__ import annotations

import csv
import io

from coop.ledger import merkle
from coop.services import ledger_export, proposals
from tests.factories import general_vote, make_coop, make_member

EVIL_NAME = "=cmd|' /C calc'!A0"
EVIL_TITLE = "@SUM(1+1)*cmd|' /C calc'!A0"


def test_the_ledger_csv_quotes_member_names_and_titles_that_a_spreadsheet_would_run(db, keys):
    coop = make_coop(db, keys)
    evil = make_member(db, coop, name=EVIL_NAME, hourly_rate="20.00")
    others = [make_member(db, coop, hourly_rate="21.00") for _ in range(2)]
    p = general_vote(db, coop, others[0], title=EVIL_TITLE)
    proposals.close(db, p, p.voting_closes_at)
    out = io.StringIO()
    ledger_export.write_csv(db, coop, out)
    rows = list(csv.DictReader(io.StringIO(out.getvalue(), newline="")))
    pay = next(r for r in rows if r["member_id"] == str(evil.id))
    assert pay["member_name"] == "'" + EVIL_NAME
    assert pay["hourly_rate"] == "20.00"
    decision = next(r for r in rows if r["kind"] == "decision")
    assert decision["title"] == "'" + EVIL_TITLE
    # The bodies are untouched: a spreadsheet user can still re-hash every entry.
    assert all(merkle.leaf_hash(r["body"].encode()).hex() == r["leaf_hash"] for r in rows)
