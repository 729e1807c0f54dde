"""Probabilistic record linkage of customers (Fellegi-Sunter, with Splink).

:func:`score_pairs` takes the comparison columns of :func:`.features.linkage_features` and
returns every candidate pair with its match probability, the level of each field's
comparison and each field's match weight (log2 Bayes factor).

- **Candidates** (blocking): pairs that share a normalised phone, e-mail, company (without
  place names), or name and city, or name pinyin and province unless both cities are known
  and differ (:data:`PINYIN_RULE`).
- **Comparisons**, each with levels from exact through near to different (and missing):
  name (exact, same pinyin, Jaro-Winkler on characters), company (exact, same core
  or pinyin, near), phone (exact, one digit apart), e-mail (exact, same local part or one
  character apart), place (same city, same province), signup date (30 days, a year),
  account (the same sales rep, and channel).
  Jaro-Winkler counts characters, so a one-character difference in a Chinese name weighs as
  one character.  Exact names and companies are adjusted for their frequency (a rare name
  agreeing says more than 王伟).
- **Parameters** estimated from the data: u by random sampling (seeded), m by expectation
  maximisation on pairs blocked by phone, by e-mail and by name and city (each session
  estimates the fields it did not block on), the prior from the pairs sharing a phone or
  an e-mail.  The same data and seed give the same parameters.
- **Backends**: DuckDB (default, in memory) or Spark (``backend="spark"``, a running
  ``pyspark`` session passed as ``spark``); the settings are the same.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import polars as pl
import splink.comparison_level_library as cll
import splink.comparison_library as cl
from splink import Linker, SettingsCreator, block_on
from splink.blocking_rule_library import CustomRule

from ..errors import DataError, UsageError

__all__ = ["FIELDS", "LEVELS", "LinkageModel", "score_pairs"]

#: The compared fields, in the order of the pair table's columns.
FIELDS = ("name", "company", "phone", "email", "place", "signup", "account")
#: Level labels per field, from the most to the least similar (null = a value missing).
LEVELS: dict[str, tuple[str, ...]] = {
    "name": ("exact", "pinyin", "near", "different"),
    "company": ("exact", "core", "near", "different"),
    "phone": ("exact", "near", "different"),
    "email": ("exact", "near", "different"),
    "place": ("city", "province", "different"),
    "signup": ("30_days", "1_year", "different"),
    "account": ("rep_and_channel", "rep", "different"),
}


def _jw(col: str, threshold: float) -> str:
    return f"jaro_winkler_similarity({col}_l, {col}_r) >= {threshold}"


def _comparisons() -> list[cl.CustomComparison]:
    null = cll.NullLevel
    return [
        cl.CustomComparison(output_column_name="name", comparison_levels=[
            null("name_n"),
            cll.ExactMatchLevel("name_n", term_frequency_adjustments=True),
            cll.ExactMatchLevel("name_py"),
            # On characters only: the pinyin of two short names (guojun, guojuan) is close for
            # different people; a homophone typo is caught by the pinyin level above.
            cll.CustomLevel(_jw("name_n", 0.85), "near"),
            cll.ElseLevel()]),
        cl.CustomComparison(output_column_name="company", comparison_levels=[
            cll.CustomLevel('"company_n_l" is null or "company_n_r" is null').configure(
                is_null_level=True),
            cll.ExactMatchLevel("company_n", term_frequency_adjustments=True),
            cll.CustomLevel('"company_core_l" = "company_core_r" or '
                            '"company_py_l" = "company_py_r"', "same core or pinyin"),
            cll.CustomLevel(f"{_jw('company_core', 0.88)} or {_jw('company_py', 0.92)}", "near"),
            cll.ElseLevel()]),
        cl.CustomComparison(output_column_name="phone", comparison_levels=[
            null("phone_n"), cll.ExactMatchLevel("phone_n"),
            cll.LevenshteinLevel("phone_n", 1), cll.ElseLevel()]),
        cl.CustomComparison(output_column_name="email", comparison_levels=[
            null("email_n"), cll.ExactMatchLevel("email_n"),
            cll.CustomLevel("split_part(email_n_l, '@', 1) = split_part(email_n_r, '@', 1) or "
                            "levenshtein(email_n_l, email_n_r) <= 1", "near"),
            cll.ElseLevel()]),
        cl.CustomComparison(output_column_name="place", comparison_levels=[
            cll.CustomLevel('("city_n_l" is null or "city_n_r" is null) and '
                            '("province_n_l" is null or "province_n_r" is null)')
            .configure(is_null_level=True),
            cll.ExactMatchLevel("city_n"), cll.ExactMatchLevel("province_n"), cll.ElseLevel()]),
        cl.CustomComparison(output_column_name="signup", comparison_levels=[
            null("signup_date"),
            cll.AbsoluteDateDifferenceLevel("signup_date", input_is_string=False,
                                            threshold=30, metric="day"),
            cll.AbsoluteDateDifferenceLevel("signup_date", input_is_string=False,
                                            threshold=365, metric="day"),
            cll.ElseLevel()]),
        cl.CustomComparison(output_column_name="account", comparison_levels=[
            null("sales_rep_n"),
            cll.CustomLevel('"sales_rep_n_l" = "sales_rep_n_r" and "channel_n_l" = "channel_n_r"',
                            "same sales rep and channel"),
            cll.ExactMatchLevel("sales_rep_n"), cll.ElseLevel()]),
    ]


#: The last candidate rule: the same name pinyin in the same province, unless both cities are
#: known and differ (a common name's namesakes in the other cities of a province are millions
#: of pairs at a million customers, and with nothing else shared they never reach the review
#: band).
PINYIN_RULE = ("l.name_py = r.name_py and l.province_n = r.province_n and "
               "(l.city_n = r.city_n or l.city_n is null or r.city_n is null)")


def _blocking() -> list[Any]:
    return [block_on("phone_n"), block_on("email_n"), block_on("company_core"),
            block_on("name_n", "city_n"), CustomRule(PINYIN_RULE)]


def settings() -> SettingsCreator:
    """The linkage model's settings (the same on every backend)."""
    return SettingsCreator(
        link_type="dedupe_only", unique_id_column_name="unique_id",
        comparisons=list[Any](_comparisons()), blocking_rules_to_generate_predictions=_blocking(),
        retain_matching_columns=True, retain_intermediate_calculation_columns=True,
        max_iterations=40, em_convergence=1e-5)


#: DuckDB's memory for the linkage; what does not fit is spilled to a temporary folder.  At a
#: million customers this keeps the linkage's peak about 0.8 GB lower for the same time.
DUCKDB_MEMORY = "512MB"


def _db_api(backend: str, spark: Any = None, spill: str | None = None) -> Any:
    if backend == "duckdb":
        # In the function: the engine's backend modules load only when linkage runs.
        import duckdb
        from splink import DuckDBAPI
        config: dict[str, str | bool | int | float | list[str]] = {
            "memory_limit": DUCKDB_MEMORY, **({"temp_directory": spill} if spill else {})}
        return DuckDBAPI(duckdb.connect(config=config))
    if backend == "spark":
        if spark is None:
            raise UsageError("cleaning.linkage_backend: spark needs a running Spark session "
                             "(pass spark=SparkSession); install pyspark to use it.")
        from splink import SparkAPI  # in the function: needs pyspark, an optional engine
        # Intermediate tables are persisted (cached) rather than checkpointed, so no checkpoint
        # folder has to be configured on the session; the plan's lineage is still cut.
        return SparkAPI(spark_session=spark, break_lineage_method="persist")
    raise UsageError(f"cleaning.linkage_backend: '{backend}' is not 'duckdb' or 'spark'.")


@dataclass
class LinkageModel:
    """What the fitted model says: the prior and per field and level the m and u
    probabilities (for the documentation of a run) and the candidate pairs' count."""

    prior: float
    parameters: pl.DataFrame
    candidate_pairs: int


_PAIR_COLS = ["unique_id_l", "unique_id_r", "match_probability", "match_weight"]


def score_pairs(features: pl.DataFrame, seed: int = 0, backend: str = "duckdb",
                spark: Any = None, min_probability: float = 0.01,
                context_probability: float | None = None, context_ids: Sequence[int] = (),
                ) -> tuple[pl.DataFrame, LinkageModel]:
    """Train the model on ``features`` and score every candidate pair.

    Only the pairs at or above ``min_probability`` leave the engine, plus the *context* of the
    strong pairs: every weaker candidate pair between two records that a pair at or above
    ``context_probability`` touches (or that ``context_ids`` lists).  Those are the pairs that
    can contradict a chain (:func:`.decide.decide`); the millions of weak pairs between
    strangers who merely share a common name never leave the engine.

    Returns:
        ``(pairs, model)``: pairs with ``unique_id_l < unique_id_r``, ``match_probability``,
        ``match_weight``, per field ``gamma_<field>`` (the level: -1 missing, 0 different,
        higher more similar) and ``mw_<field>`` (the field's match weight), sorted by the two
        ids.  ``model.candidate_pairs`` counts every candidate pair scored.
    """
    if features.height < 2:
        empty = pl.DataFrame(schema={"unique_id_l": pl.Int64, "unique_id_r": pl.Int64,
                                     "match_probability": pl.Float64,
                                     "match_weight": pl.Float64,
                                     **{f"gamma_{f}": pl.Int64 for f in FIELDS},
                                     **{f"mw_{f}": pl.Float64 for f in FIELDS}})
        return empty, LinkageModel(0.0, pl.DataFrame(), 0)
    logging.getLogger("splink").setLevel(logging.ERROR)
    with tempfile.TemporaryDirectory(prefix="workbench-linkage-") as spill:
        return _train_and_score(features, seed, backend, spark, min_probability,
                                context_probability, context_ids, spill)


def _train_and_score(features: pl.DataFrame, seed: int, backend: str, spark: Any,
                     min_probability: float, context_probability: float | None,
                     context_ids: Sequence[int], spill: str,
                     ) -> tuple[pl.DataFrame, LinkageModel]:
    """:func:`score_pairs` with DuckDB spilling into the folder ``spill``."""
    db = _db_api(backend, spark, spill)
    # To Spark through Arrow, never pandas (PySpark does not support pandas 3 fully).
    table = db.register(features.to_arrow() if backend == "duckdb"
                        else spark.createDataFrame(features.to_arrow()))
    linker = Linker(table, settings(), log_level=None)
    train = linker.training
    try:
        train.estimate_probability_two_random_records_match(
            [block_on("phone_n"), block_on("email_n")], recall=0.7)
    except ValueError:  # more shared keys than the recall allows: keep the default prior
        pass
    n = features.height
    floor = 1.0 / (n * (n - 1) / 2)
    settings_obj = linker._settings_obj  # the engine's public API has no setter for the prior
    if not settings_obj._probability_two_random_records_match >= floor:
        # No record shares a phone or an e-mail: at most about one duplicate pair is expected.
        settings_obj._probability_two_random_records_match = floor
    train.estimate_u_using_random_sampling(max_pairs=min(1e6, max(1e4, n * (n - 1) / 2)),
                                           seed=seed, min_count_per_level=None, num_chunks=1)
    # Not on the phone: a phone shared in a family or an office would teach the model that a
    # different name is common among duplicates.
    for rule in (block_on("email_n"), block_on("name_n", "city_n")):
        try:
            train.estimate_parameters_using_expectation_maximisation(
                rule, estimate_without_term_frequencies=True)
        except Exception as exc:  # noqa: BLE001 - a session with no pairs trains nothing
            if "no" not in str(exc).lower() and "empty" not in str(exc).lower():
                raise DataError(f"customer linkage: training on {rule} failed: {exc}") from exc
    pairs, candidates = _predict(linker, db, min_probability, context_probability,
                                 context_ids, backend, spark)
    model = LinkageModel(prior=float(linker._settings_obj._probability_two_random_records_match),
                         parameters=_parameters(linker), candidate_pairs=candidates)
    linker.table_management.delete_tables_created_by_splink_from_db()
    return pairs, model


def _query(linker: Linker, sql: str) -> pl.DataFrame:
    """The result of ``sql`` on the engine, to polars through Arrow (the engine's table is
    dropped once read)."""
    sdf = linker.misc.query_sql(sql, output_type="splink_df")
    try:
        out = pl.from_arrow(sdf.as_pyarrow_table())
    finally:
        sdf.drop_table_from_database_and_remove_from_cache()
    assert isinstance(out, pl.DataFrame)
    return out


def _scored(linker: Linker, blocked: Any, threshold: float | None) -> pl.DataFrame:
    """Score the candidate pairs ``blocked`` (None: those the engine holds from
    ``compute_blocked_pairs_for_predict``) and read only the columns the decisions need (never
    the records' own columns): ids, probability, weight, per field the level and the weight
    including its term-frequency adjustment."""
    if blocked is not None:
        linker.table_management.register_blocked_pairs_for_predict(blocked)
    pred = linker.inference.predict(threshold_match_probability=threshold or None,
                                    warning_mode="never")
    try:
        have = {c.unquote().name for c in pred.columns}
        # The engine leaves out a comparison it could not train (no pair ever agreed on it):
        # its level is then unknown and its weight 0.
        cols = ["least(unique_id_l, unique_id_r) as unique_id_l",
                "greatest(unique_id_l, unique_id_r) as unique_id_r",
                "cast(match_probability as double) as match_probability",
                "cast(match_weight as double) as match_weight"]
        for f in FIELDS:
            tf = (f" + coalesce(cast(mw_tf_adj_{f} as double), 0.0)"
                  if f"mw_tf_adj_{f}" in have else "")
            cols += ([f"cast(gamma_{f} as bigint) as gamma_{f}",
                      f"cast(mw_{f} as double){tf} as mw_{f}"] if f"gamma_{f}" in have
                     else [f"cast(null as bigint) as gamma_{f}", f"cast(0.0 as double) as mw_{f}"])
        return _query(linker, f"select {', '.join(cols)} from {pred.physical_name}")
    finally:
        pred.drop_table_from_database_and_remove_from_cache()


def _predict(linker: Linker, db: Any, min_probability: float,
             context_probability: float | None, context_ids: Sequence[int], backend: str,
             spark: Any) -> tuple[pl.DataFrame, int]:
    """The scored pairs of :func:`score_pairs` and the number of candidate pairs."""
    blocked = linker.inference.compute_blocked_pairs_for_predict()
    candidates = int(_query(linker, f"select count(*) as n from {blocked.physical_name}")
                     .item())
    pairs = _scored(linker, None, min_probability)
    if min_probability > 0 and (context_probability is not None or len(context_ids)):
        strong = (pairs.filter(pl.col("match_probability") >= context_probability)
                  if context_probability is not None else pairs.clear())
        touched = pl.concat([strong.get_column("unique_id_l"), strong.get_column("unique_id_r"),
                             pl.Series(list(context_ids), dtype=pl.Int64)]).unique()
        if touched.len() > 1:
            ids = pl.DataFrame({"uid": touched.sort()}).to_arrow()
            t = db.register(ids if backend == "duckdb" else spark.createDataFrame(ids))
            b = blocked.physical_name
            among = linker.misc.query_sql(
                f"select b.* from {b} as b where b.join_key_l in (select uid from "
                f"{t.physical_name}) and b.join_key_r in (select uid from {t.physical_name})",
                output_type="splink_df")
            try:
                weak = _scored(linker, among, None)
            finally:
                among.drop_table_from_database_and_remove_from_cache()
                t.drop_table_from_database_and_remove_from_cache(force_non_splink_table=True)
            pairs = pl.concat([pairs, weak.join(pairs, on=["unique_id_l", "unique_id_r"],
                                                how="anti")])
    blocked.drop_table_from_database_and_remove_from_cache()
    return pairs.sort(["unique_id_l", "unique_id_r"]), candidates


def _parameters(linker: Linker) -> pl.DataFrame:
    rows = []
    for comp in linker._settings_obj.comparisons:
        for lvl in comp.comparison_levels:
            if lvl.is_null_level:
                continue
            rows.append({"field": comp.output_column_name, "level": lvl.label_for_charts,
                         "m": float(lvl.m_probability or 0.0), "u": float(lvl.u_probability or 0.0)})
    return pl.DataFrame(rows, schema={"field": pl.String, "level": pl.String, "m": pl.Float64,
                                      "u": pl.Float64})
