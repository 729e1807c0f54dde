"""The text table every source is read into: :class:`RawTable`, with each row's source and line."""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

__all__ = ["LINE", "SOURCE", "UNPARSEABLE_SCHEMA", "RawTable"]

LINE = "_line"
SOURCE = "_source"
#: The lines of a source that could not be parsed (``reason`` ``unparseable_line``;
#: ``record``: ``{"line_text": <the raw line>}`` as JSON).
UNPARSEABLE_SCHEMA = pl.Schema({SOURCE: pl.String, LINE: pl.Int64, "reason": pl.String,
                                "detail": pl.String, "record": pl.String})


@dataclass
class RawTable:
    """One canonical table as read from its source(s), every value still text.

    Attributes:
        table: canonical table name.
        frame: canonical columns (String) plus ``_source`` and ``_line``.  Identifier and
            free-text columns are normalised (:func:`normalize_text`); date, number and
            category columns are as read, and :func:`coerce` normalises what it parses.
        sources: one entry per file/sheet/query read: label, encoding, rows.
        date_formats, datetime_formats: formats tried in order when coercing.
        excel_serial_dates: date cells may come as Excel serial numbers.
        ignored_columns: source headers that map to no canonical column.
        order_key: set when the rows are order *lines* grouped into orders by this column
            (``lines:`` of the source); None: one row per order.
        unparseable: the lines of a CSV/TSV file that could not be split into fields
            (:data:`UNPARSEABLE_SCHEMA`); they are rows read, quarantined ``unparseable_line``
            by the cleaning (None: none).
    """

    table: str
    frame: pl.DataFrame
    sources: list[dict] = field(default_factory=list)
    date_formats: tuple[str, ...] = ()
    datetime_formats: tuple[str, ...] = ()
    excel_serial_dates: bool = False
    ignored_columns: list[str] = field(default_factory=list)
    order_key: str | None = None
    unparseable: pl.DataFrame | None = None

    @property
    def rows_read(self) -> int:
        """The rows read: those of :attr:`frame` and the unparseable lines."""
        return self.frame.height + (self.unparseable.height if self.unparseable is not None
                                    else 0)

