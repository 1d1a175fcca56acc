"""Fields and schemas shared by every resource: exact money, UTC times, problems, pages."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate

from coop.schemas import limits

#: Ids are 32-bit database integers; a larger number is refused as input, not sent to SQL.
MAX_ID = 2**31 - 1
_BAD_CHARS = re.compile("[\x00\ud800-\udfff]")
_MONEY = re.compile(r"^(0|[1-9][0-9]{0,8})(\.[0-9]{1,2})?$")


class Str(fields.String):
    """Text without NUL or lone surrogates, which no database column can store."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Any:
        text = super()._deserialize(value, attr, data, **kwargs)
        if _BAD_CHARS.search(text):
            raise ValidationError("contains a character text cannot hold (NUL or a lone surrogate)")
        return text


class Line(Str):
    """A single line of text: a title, a name, a key. Control characters (CR and LF above
    all) are refused, so no value can break the line it is put on: a mail header, a CSV
    cell, a log line. Every single-line string field of every schema is one of these."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Any:
        text = super()._deserialize(value, attr, data, **kwargs)
        problem = limits.line_problem(text)
        if problem:
            raise ValidationError(problem)
        return text


class InputDate(fields.Date):
    """A date someone typed, within ``limits.EARLIEST_DATE`` .. ``limits.LATEST_DATE``
    (what may be in the future is the services' decision, relative to the request's ``now``)."""

    def __init__(self, **kwargs: Any):
        bounds = validate.Range(limits.EARLIEST_DATE, limits.LATEST_DATE,
                                error=f"a date from {limits.EARLIEST_DATE} to {limits.LATEST_DATE}")
        extra = kwargs.pop("validate", None)
        chain = [bounds] + ([] if extra is None else list(extra) if isinstance(extra, list | tuple) else [extra])
        super().__init__(validate=chain, **kwargs)


class DecimalString(fields.String):
    """An exact amount with at most two decimal places, as a JSON string (``"23.50"``).

    Numbers are refused on input: a JSON number becomes a float in most clients, and money
    must never pass through one. Output is always two places."""

    def __init__(self, **kwargs: Any):
        metadata = {"pattern": _MONEY.pattern, "example": "23.50", **kwargs.pop("metadata", {})}
        super().__init__(metadata=metadata, **kwargs)

    def _serialize(self, value: Any, attr: Any, obj: Any, **kwargs: Any) -> str | None:
        if value is None:
            return None
        return f"{Decimal(value):.2f}"

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Decimal:
        if not isinstance(value, str):
            raise ValidationError('a decimal string such as "23.50" (not a number: money never passes through a float)')
        if not _MONEY.match(value):
            raise ValidationError('a decimal string such as "23.50": digits, at most two decimal places')
        return Decimal(value)


class UTCDateTime(fields.DateTime):
    """Times are naive UTC in the database; on the wire they are RFC 3339 with ``Z``."""

    def _serialize(self, value: Any, attr: Any, obj: Any, **kwargs: Any) -> str | None:
        if value is None:
            return None
        assert isinstance(value, dt.datetime)
        return value.replace(tzinfo=None).isoformat(timespec="seconds") + "Z"


def Id(**kwargs: Any) -> fields.Integer:  # noqa: N802  (a field factory reads like a field)
    return fields.Integer(strict=True, validate=validate.Range(1, MAX_ID), **kwargs)


def Count(**kwargs: Any) -> fields.Integer:  # noqa: N802
    return fields.Integer(validate=validate.Range(0, MAX_ID), **kwargs)


class ProblemField(Schema):
    field = fields.String(allow_none=True, dump_only=True)
    message = fields.String(dump_only=True)


class Problem(Schema):
    """RFC 9457 problem details."""

    type = fields.String(dump_only=True, metadata={"example": "about:blank"})
    title = fields.String(dump_only=True)
    status = fields.Integer(dump_only=True)
    detail = fields.String(dump_only=True)
    errors = fields.List(fields.Nested(ProblemField), dump_only=True)


class PageQuery(Schema):
    limit = fields.Integer(validate=validate.Range(1, 200), metadata={"description": "page size (default 50)"})
    cursor = Line(validate=validate.Length(max=200),
                 metadata={"description": "next_cursor of the previous page"})


_pages: dict[str, type[Schema]] = {}


def page_of(item: type[Schema], name: str | None = None) -> type[Schema]:
    """A page envelope ``{items: [...], next_cursor}`` around ``item`` (one class per item)."""
    name = name or item.__name__.removesuffix("Out") + "Page"
    if name not in _pages:
        _pages[name] = Schema.from_dict({
            "items": fields.List(fields.Nested(item), required=True, dump_only=True),
            "next_cursor": fields.String(allow_none=True, dump_only=True,
                                         metadata={"description": "pass as ?cursor= for the next page"}),
        }, name=name)
    return _pages[name]


class Empty(Schema):
    """No fields: actions such as opening voting take an empty object (or no body)."""
