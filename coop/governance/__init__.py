"""Pure governance arithmetic: thresholds, quorums, tallies and elections.

Plain values in, plain values out: no database, no web framework, no floats. The services
read thresholds and quorums from the rules, count the ballots, and ask this package what the
members decided.
"""

from coop.governance.elections import ApprovalTally, ElectionResult, decide_election, lot_key
from coop.governance.tally import (
    Decision,
    FailReason,
    Tally,
    base_size,
    decide,
    everyone_voted,
    quorum_needed,
)
from coop.governance.thresholds import (
    SIMPLE_MAJORITY,
    THREE_QUARTERS,
    TWO_THIRDS,
    Base,
    Threshold,
    check_quorum,
    format_fraction,
    parse_fraction,
    parse_quorum,
    parse_threshold,
)

__all__ = [
    "SIMPLE_MAJORITY",
    "THREE_QUARTERS",
    "TWO_THIRDS",
    "ApprovalTally",
    "Base",
    "Decision",
    "ElectionResult",
    "FailReason",
    "Tally",
    "Threshold",
    "base_size",
    "check_quorum",
    "decide",
    "decide_election",
    "everyone_voted",
    "format_fraction",
    "lot_key",
    "parse_fraction",
    "parse_quorum",
    "parse_threshold",
    "quorum_needed",
]
