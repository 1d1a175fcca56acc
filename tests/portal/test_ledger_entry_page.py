"""A page per ledger entry: its bytes, its inclusion proof and the decision behind it,
linked from every "ledger entry N" in the portal."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from coop.ledger import merkle
from coop.models import PayRecord
from coop.services import checkpoints, proofs
from tests.clock import NOW
from tests.portal.conftest import text_of
from tests.portal.world import build_world, passed_raise


@pytest.fixture
def w(db, keys):
    return build_world(db, keys)


def _path_of(html: str) -> list[bytes]:
    block = re.search(r'<ol class="hashes" id="audit-path">(.*?)</ol>', html, re.S)
    assert block is not None
    return [bytes.fromhex(h) for h in re.findall(r"<code>([0-9a-f]{64})</code>", block.group(1))]


def test_the_ledger_entry_page_shows_a_proof_that_verifies_and_names_the_decision(db, w, client, keys):
    raise_ = passed_raise(db, w)
    cp = checkpoints.sign(db, keys, w.coop, now=NOW)
    pay_index = db.scalars(select(PayRecord.entry_index).where(PayRecord.proposal_id == raise_.id)).one()
    for index in (raise_.decision_entry_index, pay_index):
        response = client.get(w.url(f"ledger/{index}"))
        assert response.status_code == 200
        html = response.get_data(as_text=True)
        body = text_of(response)
        assert f"Ledger entry {index}" in body and f"proposal #{raise_.id}: Raise for Ben" in body
        entry = proofs.entry(db, w.coop, index)
        # The page's audit path, checked independently against the signed root.
        assert merkle.verify_inclusion(bytes(entry.body), index, cp.size, _path_of(html), bytes(cp.root))


def test_founding_pay_has_an_entry_page_saying_no_vote_authorised_it(db, w, client):
    body = text_of(client.get(w.url("ledger/0")))
    assert "Ledger entry 0" in body and "No vote authorised it" in body
    assert "No signed checkpoint holds this entry yet" in body


def test_an_entry_beyond_the_ledger_is_a_404_not_a_500(db, w, client):
    assert client.get(w.url("ledger/999")).status_code == 404


def test_every_ledger_entry_mention_links_to_its_page(db, w, client):
    raise_ = passed_raise(db, w)
    index = raise_.decision_entry_index
    proposal_html = client.get(w.url(f"proposals/{raise_.id}")).get_data(as_text=True)
    assert f'href="/c/{w.coop.slug}/ledger/{index}">ledger entry {index}</a>' in proposal_html
    salary_html = client.get(w.url("pay")).get_data(as_text=True)
    assert f'href="/c/{w.coop.slug}/ledger/{index + 1}">ledger entry {index + 1}</a>' in salary_html
    history_html = client.get(w.url(f"pay/members/{w.ben.id}")).get_data(as_text=True)
    assert f'href="/c/{w.coop.slug}/ledger/{index + 1}"' in history_html
