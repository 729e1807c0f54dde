"""From orders to what the CLV models read, and CLV read back by group.

What a purchase, a return and an order's money are is the transaction model's
(:mod:`workbench.transactions`, ``docs/architecture.md#the-transaction-model``):

- the purchases are ``transactions.purchases(log)``: a flagged outlier order is a
  purchase; its money is the log's ``value`` (the house's outlier policy,
  ``transactions.outlier_amounts``, cap by default);
- the RFM summary is :func:`workbench.rfm.summary` over those purchases with
  ``day`` as the date and ``value`` as the amount, so with ``period="D"`` a
  customer's ``frequency + 1`` is the segmentation's ``purchase_days``;
- spend net of returns uses the log's returns (``value`` negative).
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pandas as pd
import polars as pl

from .. import rfm
from .. import transactions as tx
from ..errors import DataError, UsageError
from ..frames import as_lazy, as_polars
from .inputs import _as_date
from .settings import CLVSettings

__all__ = ["net_of_returns", "summary_from_orders", "valuable_at_risk", "value_by_group"]

_LOG_COLUMNS = ("customer_id", "day", "kind", "value")


def _is_log(frame: Any) -> bool:
    """True for a :func:`workbench.transactions.transactions` log (it has ``kind`` and ``value``)."""
    if isinstance(frame, pl.LazyFrame):
        names = frame.collect_schema().names()
    else:
        names = list(frame.columns)
    return all(c in names for c in _LOG_COLUMNS)


def _log(orders: Any, day: date, transactions: tx.TransactionSettings | None, id_col: str,
         date_col: str, amount_col: str) -> pl.LazyFrame:
    """The transaction log known at ``day`` from canonical orders, or a prepared log cut at ``day``."""
    if _is_log(orders):
        if transactions is not None:
            raise UsageError("orders is a prepared transaction log (it has kind and value): its "
                             "outlier policy is set already; pass transactions=None.")
        return as_lazy(orders, "transactions").filter(pl.col("day") <= day)
    return tx.transactions(orders, day, transactions, customer_id_col=id_col, date_col=date_col,
                           amount_col=amount_col)


def summary_from_orders(orders: Any, as_of: Any, settings: CLVSettings | None = None, *,
                        transactions: tx.TransactionSettings | None = None,
                        id_col: str = "customer_id", date_col: str = "order_date",
                        amount_col: str = "amount") -> pl.DataFrame:
    """RFM summary of the purchases known at ``as_of``, spend net of returns.

    Args:
        orders: canonical orders (polars or pandas), or a prepared log from
            :func:`workbench.transactions.transactions` (then ``transactions`` must be None).
        as_of: the as-of day (orders dated after it are left out).
        settings: the ``clv:`` section (time unit, ``net_of_returns``).
        transactions: the house's outlier policy (``transactions:`` section;
            default :class:`~workbench.transactions.TransactionSettings`).
        id_col, date_col, amount_col: the orders' column names.

    Returns:
        polars ``customer_id, frequency, recency, T, monetary_value, return_rate``:
        the purchases (``transactions.purchases``) summarised by
        :func:`workbench.rfm.summary` per ``day`` with ``value`` as the amount;
        with ``settings.net_of_returns`` the average spend is scaled by
        :func:`net_of_returns` over the log's returns (else ``return_rate`` is 0).

    Raises:
        DataError: no purchase on or before ``as_of``.
    """
    settings = settings or CLVSettings()
    day = _as_date(as_of, "as_of")
    # lazy: the summary reads the purchases on the streaming engine, per partition of the
    # customers when they are many (rfm.summary); the returns are one more query
    log = _log(orders, day, transactions, id_col, date_col, amount_col).select(_LOG_COLUMNS)
    buys = tx.purchases(log).select("customer_id", "day", "value")
    if buys.select(pl.len()).collect().item() == 0:
        raise DataError(f"orders: no purchase on or before {day}; nothing to value.")
    s = rfm.summary(buys, "customer_id", "day", "value", day, settings.period,
                    settings.freq_multiplier)
    if settings.net_of_returns:
        out: pl.DataFrame = net_of_returns(s, log)
        return out
    return s.with_columns(pl.lit(0.0).alias("return_rate"))


def _return_rates(log: Any, id_col: str, amount_col: str) -> pl.DataFrame:
    """``customer_id, return_rate``: money returned / money bought, in [0, 1], for each
    customer with a return (every other customer's rate is 0)."""
    lf = as_lazy(log, "transactions", [id_col])
    names = lf.collect_schema().names()
    if "kind" in names and "value" in names:
        kind, value = pl.col("kind"), pl.col("value")
        buy, ret = kind == "purchase", kind == "return"
    else:  # plain orders: the transaction model's rules on the booked amounts
        if amount_col not in names:
            raise DataError(f"transactions: column '{amount_col}' is missing; the columns are {names}.")
        status = "status" if "status" in names else None
        buy, ret = tx.is_purchase(amount_col, status), tx.is_return(amount_col, status)
        value = tx.signed_amount(amount_col, status)
    nulls = int(lf.select(value.is_null().sum()).collect().item())
    if nulls:
        raise DataError(f"transactions: {nulls} row(s) have no amount; clean the data first.")
    # only the customers with a return have a rate other than 0 (the callers fill it in):
    # grouping their rows alone is about three times quicker on a million customers.  Money
    # is added in whole cents, so a parallel group-by gives the same rates on every run.
    returners = lf.filter(ret.fill_null(False)).select(id_col).unique()
    rates = (lf.join(returners, on=id_col, how="semi")
             .group_by(pl.col(id_col).cast(pl.String).alias("customer_id"))
             .agg(tx.money_sum(value.filter(buy)).alias("__bought"),
                  (-tx.money_sum(value.filter(ret))).alias("__returned"))
             .collect())
    return (rates.with_columns(pl.when(pl.col("__bought") > 0)
                               .then((pl.col("__returned") / pl.col("__bought")).clip(0, 1))
                               .otherwise(0.0).alias("return_rate"))
            .select("customer_id", "return_rate"))


def net_of_returns(summary: Any, transactions: Any, *, id_col: str = "customer_id",
                   amount_col: str = "amount", monetary_value_col: str = "monetary_value") -> Any:
    """Scale each customer's average repeat spend by the share of their purchases they kept.

    A return does not undo a purchase occasion, but it takes money back.
    ``return_rate`` = money returned / money bought by the customer (clipped to
    [0, 1]); the new ``monetary_value`` is ``monetary_value * (1 - return_rate)``,
    the net value the customer leaves per repeat purchase.  Customers with no
    returns keep their value.

    Args:
        summary: RFM summary (pandas indexed by id or with ``id_col``; polars with ``id_col``).
        transactions: the transaction log over the same period
            (:func:`workbench.transactions.transactions`: purchases and returns by
            ``kind``, money in ``value``), or plain orders with ``id_col`` and
            ``amount_col`` (and ``status``), classified by the transaction
            model's rules (:func:`~workbench.transactions.is_purchase`,
            :func:`~workbench.transactions.is_return`).

    Returns:
        The summary (same kind) with ``monetary_value`` replaced and a ``return_rate`` column.
    """
    rates = _return_rates(transactions, id_col, amount_col).rename({"customer_id": id_col})
    if isinstance(summary, pl.DataFrame):
        if id_col not in summary.columns:
            raise DataError(f"summary: column '{id_col}' is missing; the columns are {summary.columns}.")
        key = summary.get_column(id_col).dtype
        out = summary.join(rates.with_columns(pl.col(id_col).cast(key)), on=id_col, how="left")
        out = out.with_columns(pl.col("return_rate").fill_null(0.0))
        return out.with_columns((pl.col(monetary_value_col) * (1 - pl.col("return_rate")))
                                .alias(monetary_value_col))
    if not isinstance(summary, pd.DataFrame):
        raise UsageError(f"summary must be a pandas or polars DataFrame, got {type(summary).__name__}.")
    res = summary.copy()
    keys = res[id_col] if id_col in res.columns else pd.Series(res.index, index=res.index)
    lookup = dict(zip(rates.get_column(id_col).to_list(), rates.get_column("return_rate").to_list(),
                      strict=True))
    res["return_rate"] = keys.astype(str).map(lookup).fillna(0.0).to_numpy(dtype=float)
    res[monetary_value_col] = res[monetary_value_col] * (1 - res["return_rate"])
    return res


def _predictions(predictions: Any, id_col: str, columns: tuple[str, ...]) -> pl.DataFrame:
    """:func:`workbench.clv.predict`'s output as polars with ``id_col`` (pandas: from the index)."""
    if isinstance(predictions, pd.DataFrame) and id_col not in predictions.columns:
        predictions = predictions.reset_index()
    return as_polars(predictions, "predictions (workbench.clv.predict's output)", [id_col, *columns])


def value_by_group(predictions: Any, groups: Any, by: str, *,
                   id_col: str = "customer_id") -> pd.DataFrame:
    """Customers, total and mean CLV, expected purchases and share of total CLV per group.

    Args:
        predictions: :func:`workbench.clv.predict`'s output (pandas indexed by id or
            polars with ``id_col``).
        groups: a frame with ``id_col`` and ``by`` (e.g. segments.parquet: tier, rfm_segment).
        by: the grouping column.

    Every customer of ``predictions`` must appear in ``groups``; missing ones
    raise a DataError naming them (so no customer silently drops out of a total).
    """
    grp = as_polars(groups, "groups", [id_col, by])
    pred = _predictions(predictions, id_col, ("clv", "expected_purchases", "p_alive"))
    joined = pred.with_columns(pl.col(id_col).cast(pl.String)).join(
        grp.select(pl.col(id_col).cast(pl.String), by), on=id_col, how="left")
    missing = joined.filter(pl.col(by).is_null())
    if missing.height:
        ex = ", ".join(map(str, missing.get_column(id_col).head(3).to_list()))
        raise DataError(f"{missing.height} customer(s) with a CLV have no '{by}' (e.g. {ex}); "
                        f"re-run the segmentation step (02) for the same as-of date.")
    total = float(joined.get_column("clv").sum())
    out = (joined.group_by(by)
           .agg(pl.len().alias("customers"), pl.col("clv").sum().alias("total_clv"),
                pl.col("clv").mean().alias("mean_clv"),
                pl.col("expected_purchases").sum().alias("expected_purchases"),
                pl.col("p_alive").mean().alias("mean_p_alive"))
           .with_columns((pl.col("total_clv") / total if total else pl.lit(0.0)).alias("share_clv"))
           .sort("total_clv", descending=True))
    return out.to_pandas().set_index(by)


def valuable_at_risk(predictions: Any, *, top_share: float = 0.2, p_alive_below: float = 0.5,
                     id_col: str = "customer_id") -> pl.DataFrame:
    """Customers in the top ``top_share`` by CLV whose probability alive is below ``p_alive_below``.

    They are worth most and are the likeliest to have lapsed: the first to call.
    Returns polars rows of ``predictions`` (with ``id_col``), highest CLV first.
    """
    if not 0 < top_share <= 1 or not 0 < p_alive_below <= 1:
        raise UsageError("top_share and p_alive_below must be in (0, 1].")
    pred = _predictions(predictions, id_col, ("clv", "p_alive"))
    n_top = max(1, round(pred.height * top_share))
    top = pred.sort("clv", descending=True).head(n_top)
    return top.filter(pl.col("p_alive") < p_alive_below)
