"""One set of input limits: every single-line string field of every input schema refuses
control characters, every date a client sends is bounded, and the limits are those of
``coop.schemas.limits``."""

from __future__ import annotations

import datetime as dt
import importlib
import inspect
from collections.abc import Iterator

import pytest
from marshmallow import Schema, ValidationError, fields, validate

from coop.schemas import limits
from coop.schemas.common import DecimalString, InputDate, Line
from coop.schemas.offices import Hours

MODULES = ("common", "governance", "offices", "access", "ledger")
#: Free text that may run over several lines (a body, a rule's text) and secrets, which are
#: hashed and never shown or mailed.
MULTI_LINE = {("RuleChangeIn", "text"), ("ProposalText", "body"), ("ProposalCreate", "body"),
              ("CommentCreate", "body"), ("ElectionCreate", "body"), ("RecallCreate", "body"),
              ("TokenCreate", "password"), ("StandIn", "statement")}


def input_schemas() -> Iterator[type[Schema]]:
    seen = set()
    for name in MODULES:
        module = importlib.import_module(f"coop.schemas.{name}")
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, Schema) and cls is not Schema and cls not in seen:
                seen.add(cls)
                yield cls


def input_fields(field: fields.Field, where: str) -> Iterator[tuple[str, fields.Field]]:
    """The field, and the fields inside a list or a mapping, that a client sends."""
    if field.dump_only:
        return
    yield where, field
    if isinstance(field, fields.List):
        yield from input_fields(field.inner, where + "[]")
    if isinstance(field, fields.Dict):
        for part, inner in (("key", field.key_field), ("value", field.value_field)):
            if inner is not None:
                yield from input_fields(inner, f"{where}.{part}")


def every_input_field() -> Iterator[tuple[str, str, fields.Field]]:
    for cls in input_schemas():
        for name, field in cls._declared_fields.items():
            for where, f in input_fields(field, name):
                yield cls.__name__, where, f


def has_a_fixed_shape(field: fields.Field) -> bool:
    """An enum, or digits matched by a pattern: no room for a control character."""
    return isinstance(field, DecimalString | Hours) or any(isinstance(v, validate.OneOf) for v in field.validators)


def test_every_single_line_string_field_of_every_input_schema_refuses_control_characters() -> None:
    plain = [f"{schema}.{where}" for schema, where, field in every_input_field()
             if isinstance(field, fields.String) and not isinstance(field, Line) and not has_a_fixed_shape(field)
             and (schema, where) not in MULTI_LINE]
    assert plain == [], "single-line fields that are not Line (a line break would get through)"


def test_every_date_a_client_sends_is_bounded() -> None:
    unbounded = [f"{schema}.{where}" for schema, where, field in every_input_field()
                 if isinstance(field, fields.Date) and not isinstance(field, InputDate)]
    assert unbounded == []


@pytest.mark.parametrize("value", ["a\r\nBcc: x@evil.example", "a\nb", "a\tb", "a\x00b", "a\x1bb", "a\x7fb",
                                   "a\x85b", "a\u2028b", "a\u2029b"])
def test_a_line_refuses_each_control_character(value: str) -> None:
    with pytest.raises(ValidationError, match="single line|NUL"):
        Line().deserialize(value)
    assert limits.line_problem(value) is not None


@pytest.mark.parametrize("value", ["Raise for Ben", "Ünïcödé – fine", "tabs\u00a0are not here", "😀"])
def test_a_line_keeps_ordinary_text(value: str) -> None:
    assert Line().deserialize(value) == value


@pytest.mark.parametrize("value", ["0001-01-01", "1899-12-31", "2200-01-01", "9999-12-31"])
def test_an_input_date_outside_the_window_is_refused(value: str) -> None:
    with pytest.raises(ValidationError, match="a date from 1900-01-01 to 2199-12-31"):
        InputDate().deserialize(value)
    assert InputDate().deserialize("1900-01-01") == dt.date(1900, 1, 1)


def test_the_planning_horizon_is_counted_from_the_now_given() -> None:
    assert limits.latest_planned(dt.date(2026, 11, 20)) == dt.date(2036, 11, 20)
    assert limits.latest_planned(dt.date(2028, 2, 29)) == dt.date(2038, 2, 28)
