"""The word diff of rule text shown on rule pages and rule-change proposals."""

from __future__ import annotations

import re

from webui.portal.diffs import parameter_changes, text_diff


def reader(markup) -> str:
    """What a screen reader announces: the hidden markers, not the styling."""
    return re.sub(r"<[^>]+>", "", str(markup))


def test_a_replaced_word_is_marked_removed_and_added_and_the_rest_is_untouched():
    diff = text_diff("At most three times the lowest.", "At most four times the lowest.")
    assert reader(diff) == "At most [removed: three][added: four] times the lowest."


def test_punctuation_is_compared_on_its_own_so_an_added_clause_reads_as_added():
    diff = text_diff("Every member's pay is public.", "Every member's pay, hours and supplements are public.")
    assert reader(diff) == "Every member&#39;s pay[added: ,] [removed: is][added: hours and supplements are] public."
    assert "[removed: pay" not in reader(diff)  # "pay" itself is unchanged


def test_rule_text_is_escaped_before_it_is_marked_up():
    diff = str(text_diff("Safe text.", "Safe <script>alert(1)</script> text."))
    assert "<script>" not in diff and "&lt;script&gt;" in diff


def test_a_new_rule_is_all_added_and_a_repeal_all_removed():
    assert reader(text_diff("", "The workshop opens at eight.")) == "[added: The workshop opens at eight.]"
    assert reader(text_diff("The workshop opens at eight.", "")) == "[removed: The workshop opens at eight.]"


def test_parameter_changes_name_what_was_added_removed_and_changed():
    changes = {c.key: c.change for c in parameter_changes({"a": "1", "b": "2", "c": "3"}, {"a": "1", "b": "5", "d": "4"})}
    assert changes == {"a": "unchanged", "b": "changed", "c": "removed", "d": "added"}
