"""Outcome reasons name people at read time; the stored wording (hashed in the ledger) keeps ids."""

from coop.services.naming import member_ids, with_names

NAMES = {6: "Ada Arendt", 7: "Ben Brecht"}


def test_an_outcome_reads_with_names_for_every_member_it_mentions():
    text = ("elected members 6, 7 with approval by more than 1/2 of votes cast; approvals: "
            "member 6 had 8, member 7 had 5; member 9 (Cleo Curie) is departed and could not be elected")
    assert member_ids(text) == {6, 7, 9}
    assert with_names(text, NAMES) == (
        "elected Ada Arendt, Ben Brecht with approval by more than 1/2 of votes cast; approvals: "
        "Ada Arendt had 8, Ben Brecht had 5; member 9 (Cleo Curie) is departed and could not be elected")


def test_a_name_already_given_beside_an_id_is_not_repeated():
    assert with_names("member 6 (Ada Arendt) is departed", NAMES) == "Ada Arendt is departed"


def test_text_without_members_is_left_as_it_was():
    assert with_names("no candidate had 3 approvals; members' quorum", NAMES) == \
        "no candidate had 3 approvals; members' quorum"
