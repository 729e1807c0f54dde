"""The warning list: flagged customers ranked by revenue at risk, with owner, reasons and an action."""

from __future__ import annotations

import polars as pl

from .. import i18n
from ..errors import DataError, UsageError
from ..frames import as_polars
from .analysis import ChurnAnalysis
from .reasons import suggest_action
from .text import ROOM

__all__ = ["WARNING_COLUMNS", "revenue_at_risk_by", "warning_list"]

WARNING_COLUMNS = ["rank", "customer_id", "name", "company", "phone", "email", "tier", "tier_source",
                   "sales_rep", "churn_probability", "value", "value_source", "net_revenue_12m",
                   "revenue_at_risk", "flagged", "reasons", "action", "reason_codes"]
_INFO_COLUMNS = ["name", "company", "phone", "email", "sales_rep"]


def _fallback_tiers(value: pl.Series) -> pl.Series:
    """A by-value tier when segmentation has not run: top 20 % A, next 30 % B, rest C."""
    rank = value.rank(method="ordinal", descending=True) / max(value.len(), 1)
    return pl.Series("tier", [("A" if r <= 0.2 else "B" if r <= 0.5 else "C") for r in rank.to_list()])


def _with_value(df: pl.DataFrame, clv: pl.DataFrame | None) -> pl.DataFrame:
    if clv is not None:
        clv = as_polars(clv, "clv.parquet")
        if "clv" not in clv.columns or "customer_id" not in clv.columns:
            raise DataError(f"clv.parquet lacks 'customer_id' or 'clv' (columns {clv.columns}); "
                            f"rerun notebook 03_clv.")
        df = df.join(clv.select(pl.col("customer_id").cast(pl.String), pl.col("clv").cast(pl.Float64)),
                     on="customer_id", how="left")
    else:
        df = df.with_columns(pl.lit(None, pl.Float64).alias("clv"))
    has_clv = pl.col("clv").is_not_null()
    return df.with_columns(
        pl.when(has_clv).then(pl.col("clv")).otherwise(pl.col("net_revenue_12m")).alias("value"),
        pl.when(has_clv).then(pl.lit("clv")).otherwise(pl.lit("net_revenue_12m")).alias("value_source"),
    ).with_columns((pl.col("churn_probability") * pl.col("value").clip(lower_bound=0.0))
                   .alias("revenue_at_risk"))


def _with_tier(df: pl.DataFrame, segments: pl.DataFrame | None) -> pl.DataFrame:
    if segments is not None and "tier" in segments.columns:
        df = df.join(segments.select(pl.col("customer_id").cast(pl.String),
                                     pl.col("tier").cast(pl.String)), on="customer_id", how="left")
        df = df.with_columns(pl.when(pl.col("tier").is_null()).then(pl.lit("value"))
                             .otherwise(pl.lit("segments")).alias("tier_source"))
        return df.with_columns(pl.coalesce(pl.col("tier"), _fallback_tiers(df.get_column("value")))
                               .alias("tier"))
    return df.with_columns(_fallback_tiers(df.get_column("value")), pl.lit("value").alias("tier_source"))


def _with_owner(df: pl.DataFrame, customers: pl.DataFrame | None, lang: str) -> pl.DataFrame:
    if customers is not None and customers.height:
        have = [c for c in _INFO_COLUMNS if c in customers.columns]
        info = customers.select(pl.col("customer_id").cast(pl.String),
                                *[pl.col(c).cast(pl.String) for c in have]) \
            .unique("customer_id", keep="first", maintain_order=True)
        df = df.join(info, on="customer_id", how="left")
    for c in _INFO_COLUMNS:
        if c not in df.columns:
            df = df.with_columns(pl.lit(None, pl.String).alias(c))
    return df.with_columns(pl.col("sales_rep").fill_null(i18n.t("shared_pool", lang, room=ROOM)))


def warning_list(analysis: ChurnAnalysis, customers: pl.DataFrame | None = None,
                 clv: pl.DataFrame | None = None, segments: pl.DataFrame | None = None,
                 lang: str = "en", flagged_only: bool = True) -> pl.DataFrame:
    """Customers ranked by revenue at risk = churn probability x value.

    Value is ``clv`` from step 03's ``clv.parquet`` when given (``value_source`` =
    ``clv``); for customers without it (or without that file) it is the net
    revenue of the last 12 months (``net_revenue_12m``,
    :func:`workbench.transactions.net_revenue` at the as-of date: purchases minus
    returns dated in the window, after the outlier policy).  Tier comes from
    ``segments`` (step 02) when given, else from value (top 20 % A, next 30 % B,
    rest C; ``tier_source`` says which).  The owner is ``customers.sales_rep``
    (empty: shared pool).

    Returns:
        :data:`WARNING_COLUMNS` (PII unmasked: mask with
        :func:`workbench.privacy.mask_frame` before showing).
    """
    if lang not in i18n.LANGS:
        raise UsageError(f"lang '{lang}' is not supported; use 'zh' or 'en'.")
    df = _with_value(analysis.scores, clv)
    df = _with_owner(_with_tier(df, segments), customers, lang)
    actions = [suggest_action(t, codes or [], lang)
               for t, codes in zip(df.get_column("tier").to_list(), df.get_column("reason_codes").to_list(),
                                   strict=True)]
    df = df.with_columns(pl.Series("action", actions), pl.col(f"reasons_{lang}").alias("reasons"))
    if flagged_only:
        df = df.filter(pl.col("flagged"))
    df = df.sort(["revenue_at_risk", "customer_id"], descending=[True, False], nulls_last=True)
    df = df.with_columns(pl.int_range(1, df.height + 1).alias("rank"))
    return df.select(WARNING_COLUMNS)


def revenue_at_risk_by(warning: pl.DataFrame, by: str) -> pl.DataFrame:
    """Revenue at risk, customers and mean churn probability per ``by`` (``tier`` or ``sales_rep``)."""
    if by not in warning.columns:
        raise UsageError(f"cannot group the warning list by '{by}'; its columns are {warning.columns}.")
    return (warning.group_by(by).agg(pl.len().alias("customers"),
                                     pl.col("revenue_at_risk").sum(),
                                     pl.col("churn_probability").mean())
            .sort(["revenue_at_risk", by], descending=[True, False]))
