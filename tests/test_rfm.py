"""RFM summary and calibration/holdout split: equal to lifetimes' definitions, exactly.

Expected values come from ``lifetimes`` itself (``summary_data_from_transaction_data``
runs on pandas 3 for daily, weekly and hourly periods), from lifetimes' own
period assignment plus its formulas where lifetimes no longer runs (monthly
periods; ``calibration_and_holdout_data``), from the published CDNOW figures,
and from small examples worked by hand.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import polars as pl
import pytest
from lifetimes.utils import _find_first_transactions, summary_data_from_transaction_data

from workbench import i18n, rfm
from workbench.datasets import load_cdnow
from workbench.errors import DataError, UsageError

ATOL = 1e-9
MONTH_SECONDS = np.timedelta64(1, "M").astype("timedelta64[s]").astype(np.int64)  # 2629746


# --------------------------------------------------------------------------- data


@pytest.fixture(scope="module")
def cdnow() -> pd.DataFrame:
    return load_cdnow().to_pandas()


@pytest.fixture(scope="module")
def generated() -> pd.DataFrame:
    """A seeded log: 150 customers, timestamps with time of day, several purchases a day,
    crossing week, month and year boundaries (2023-12-10 .. 2024-04-20)."""
    rng = np.random.default_rng(20240229)
    rows = []
    start = np.datetime64("2023-12-10T00:00:00")
    for c in range(150):
        first = rng.integers(0, 100) * 86_400 + rng.integers(0, 86_400)
        n = rng.integers(1, 25)
        gaps = np.sort(rng.integers(0, 132 * 86_400 - first, size=n - 1))
        stamps = [first] + list(first + gaps)
        for s in stamps:
            rows.append((f"C{c:04d}", start + np.timedelta64(int(s), "s"),
                         round(float(rng.gamma(2.0, 40.0)), 2)))
            if rng.random() < 0.3:  # a second purchase the same day
                rows.append((f"C{c:04d}", start + np.timedelta64(int(s) + 60, "s"),
                             round(float(rng.gamma(2.0, 40.0)), 2)))
    df = pd.DataFrame(rows, columns=["cust", "ts", "value"])
    return df.sample(frac=1.0, random_state=3).reset_index(drop=True)  # unsorted on purpose


def _lifetimes_summary(df, id_col, date_col, value_col, freq, mult=1, obs=None):
    """lifetimes' summary; for freq="M" (broken on pandas 3: np.timedelta64(1, "M") is no
    longer a valid divisor) its code with that divisor as numpy and pandas 1 defined it."""
    if freq != "M":
        return summary_data_from_transaction_data(
            df, id_col, date_col, value_col, observation_period_end=obs, freq=freq,
            freq_multiplier=mult)
    end = df[date_col].max() if obs is None else obs
    end = pd.to_datetime(end).to_period(freq).to_timestamp()
    rep = _find_first_transactions(df, id_col, date_col, value_col, None, end, freq)
    rep[date_col] = pd.Index(rep[date_col]).to_timestamp()
    cust = rep.groupby(id_col, sort=False)[date_col].agg(["min", "max", "count"])
    cust["frequency"] = cust["count"] - 1
    cust["T"] = (end - cust["min"]).dt.total_seconds() / MONTH_SECONDS / mult
    cust["recency"] = (cust["max"] - cust["min"]).dt.total_seconds() / MONTH_SECONDS / mult
    cols = ["frequency", "recency", "T"]
    if value_col:
        rep.loc[rep[rep["first"]].index, value_col] = np.nan
        cust["monetary_value"] = rep.groupby(id_col)[value_col].mean().fillna(0)
        cols.append("monetary_value")
    return cust[cols].astype(float)


def _lifetimes_cal_holdout(df, id_col, date_col, value_col, cal_end, obs_end, freq, mult):
    """lifetimes' calibration_and_holdout_data, step by step (it breaks on pandas 3):
    summary of the calibration part, then the holdout columns by hand."""
    cal_end, obs_end = pd.Timestamp(cal_end), pd.Timestamp(obs_end)
    cal = _lifetimes_summary(df[df[date_col] <= cal_end], id_col, date_col, value_col,
                             freq, mult, obs=cal_end)
    cal.columns = [c + "_cal" for c in cal.columns]
    hold = df[(df[date_col] > cal_end) & (df[date_col] <= obs_end)].copy()
    hold["period"] = hold[date_col].dt.to_period(freq)
    out = pd.DataFrame({"frequency_holdout": hold.groupby(id_col)["period"].nunique()})
    if value_col:
        out["monetary_value_holdout"] = hold.groupby(id_col)[value_col].mean()
    res = cal.join(out, how="left").fillna(0)
    res["duration_holdout"] = (obs_end.to_period(freq) - cal_end.to_period(freq)).n / mult
    return res


def _assert_same(got: pd.DataFrame, expected: pd.DataFrame):
    """Same customers in the same order; counts and durations equal to the last bit,
    amounts (sums taken in another order) within 1e-9."""
    assert list(got.columns) == list(expected.columns)
    assert list(got.index) == list(expected.index)
    assert got.index.name == expected.index.name
    money = [c for c in got.columns if c.startswith("monetary_value")]
    exact = [c for c in got.columns if c not in money]
    assert (got[exact].to_numpy(float) == expected[exact].to_numpy(float)).all()
    if money:
        assert np.abs(got[money].to_numpy(float) - expected[money].to_numpy(float)).max() < ATOL


# --------------------------------------------------------------------------- summary = lifetimes

CASES = [  # freq, freq_multiplier, observation_period_end
    ("D", 1, None),
    ("W", 1, None),
    ("M", 1, None),
    ("D", 7, None),
    ("h", 1, None),
]


@pytest.mark.parametrize("freq,mult,obs", CASES + [("D", 1, "1997-12-31"),
                                                   ("W", 1, "1998-01-07"),
                                                   ("M", 1, "1997-11-15")])
def test_summary_equals_lifetimes_on_cdnow(cdnow, freq, mult, obs):
    expected = _lifetimes_summary(cdnow, "customer_id", "date", "amount", freq, mult, obs)
    got = rfm.summary(cdnow, "customer_id", "date", "amount", observation_period_end=obs,
                      freq=freq, freq_multiplier=mult)
    _assert_same(got, expected)
    assert len(got) == (2357 if obs is None else len(expected))


@pytest.mark.parametrize("freq,mult,obs", CASES + [("D", 1, "2024-02-29 13:00"),
                                                   ("W", 1, "2024-01-01"),
                                                   ("M", 1, "2024-03-31"),
                                                   ("D", 7, "2024-02-04")])
def test_summary_equals_lifetimes_on_generated_log(generated, freq, mult, obs):
    expected = _lifetimes_summary(generated, "cust", "ts", "value", freq, mult, obs)
    got = rfm.summary(generated, "cust", "ts", "value", observation_period_end=obs,
                      freq=freq, freq_multiplier=mult)
    _assert_same(got, expected)
    # without amounts: the same three columns
    bare = rfm.summary(generated, "cust", "ts", observation_period_end=obs, freq=freq,
                       freq_multiplier=mult)
    _assert_same(bare, expected[["frequency", "recency", "T"]])


def test_generated_log_really_has_same_day_and_boundary_purchases(generated):
    """Guard that the generated data exercises merging and period boundaries."""
    day = generated.assign(day=generated["ts"].dt.floor("D"))
    assert day.duplicated(["cust", "day"]).sum() > 100
    assert generated["ts"].dt.to_period("M").nunique() == 5
    assert generated["ts"].dt.to_period("W").nunique() >= 19


def test_polars_and_lazy_input_give_polars_output(generated, tmp_path):
    expected = _lifetimes_summary(generated, "cust", "ts", "value", "W")
    eager = pl.from_pandas(generated)
    got = rfm.summary(eager, "cust", "ts", "value", freq="W")
    assert isinstance(got, pl.DataFrame)
    assert got.columns == ["cust", "frequency", "recency", "T", "monetary_value"]
    assert got["cust"].to_list() == list(expected.index)
    assert np.abs(got.drop("cust").to_numpy() - expected.to_numpy()).max() < ATOL

    path = tmp_path / "log.parquet"
    eager.write_parquet(path)
    lazy = rfm.summary(pl.scan_parquet(path), "cust", "ts", "value", freq="W")
    assert isinstance(lazy, pl.DataFrame)
    assert lazy.equals(got)


def test_large_lazy_input_is_done_in_customer_partitions(generated, tmp_path, monkeypatch):
    """A scan of more than _ROWS_PER_PARTITION rows runs in hash partitions of customers;
    the result is the same, bit for bit (amounts are summed exactly)."""
    eager = pl.from_pandas(generated)
    path = tmp_path / "log.parquet"
    eager.write_parquet(path)
    whole = rfm.summary(eager, "cust", "ts", "value", freq="W")
    split = rfm.calibration_holdout(eager, "cust", "ts", "2024-02-10", freq="W",
                                    monetary_value_col="value")
    monkeypatch.setattr(rfm, "_ROWS_PER_PARTITION", 400)  # 2,485 rows: 7 partitions
    assert rfm.summary(pl.scan_parquet(path), "cust", "ts", "value", freq="W").equals(whole)
    assert rfm.calibration_holdout(pl.scan_parquet(path), "cust", "ts", "2024-02-10", freq="W",
                                   monetary_value_col="value").equals(split)
    monkeypatch.setattr(rfm, "_ROWS_PER_PIECE", 150)  # and each partition in ~3 pieces
    assert rfm.summary(pl.scan_parquet(path), "cust", "ts", "value", freq="W").equals(whole)
    assert rfm.calibration_holdout(pl.scan_parquet(path), "cust", "ts", "2024-02-10", freq="W",
                                   monetary_value_col="value").equals(split)
    monkeypatch.setattr(rfm, "_ROWS_PER_PARTITION", 10**9)  # in memory: 17 pieces
    expected = _lifetimes_summary(generated, "cust", "ts", "value", "W")
    _assert_same(rfm.summary(generated, "cust", "ts", "value", freq="W"), expected)


def test_results_do_not_depend_on_row_order(generated):
    shuffled = generated.sample(frac=1.0, random_state=99)
    a = rfm.summary(generated, "cust", "ts", "value")
    b = rfm.summary(shuffled, "cust", "ts", "value")
    assert a.equals(b)  # bit for bit, also monetary_value


def test_date_column_of_dates_and_text_dates(cdnow):
    expected = _lifetimes_summary(cdnow, "customer_id", "date", "amount", "W")
    as_date = load_cdnow()  # polars Date column
    got = rfm.summary(as_date, "customer_id", "date", "amount", freq="W")
    assert np.abs(got.drop("customer_id").to_numpy() - expected.to_numpy()).max() < ATOL
    as_objects = cdnow.assign(date=pd.Series(cdnow["date"].dt.date.tolist(), dtype=object))
    _assert_same(rfm.summary(as_objects, "customer_id", "date", "amount", freq="W"), expected)

    # Chinese-style text dates.  (lifetimes sorts text dates as text before parsing them, so
    # with a day-first format it leaves out a wrong "first" purchase from monetary_value;
    # the workbench always leaves out the earliest period.)
    fmt = "%Y年%m月%d日"
    text = cdnow.assign(date=cdnow["date"].dt.strftime(fmt))
    assert text["date"].iloc[0] == "1997年01月01日"
    expected_text = summary_data_from_transaction_data(
        text, "customer_id", "date", "amount", datetime_format=fmt, freq="W",
        observation_period_end="1998年03月31日")
    got_text = rfm.summary(text, "customer_id", "date", "amount", freq="W",
                           observation_period_end="1998年03月31日", datetime_format=fmt)
    _assert_same(got_text, expected_text)
    assert got_text["T"].max() == 65.0  # Mon 30 Dec 1996 to Mon 30 Mar 1998


def test_timezone_aware_timestamps_use_local_wall_time():
    naive = pl.DataFrame({
        "id": ["a", "a", "b"],
        "ts": [dt.datetime(2024, 1, 1, 23, 30), dt.datetime(2024, 1, 2, 0, 30),
               dt.datetime(2024, 1, 3, 12)],
    })
    aware = naive.with_columns(pl.col("ts").dt.replace_time_zone("Asia/Shanghai"))
    assert rfm.summary(aware, "id", "ts").equals(rfm.summary(naive, "id", "ts"))
    assert rfm.summary(naive, "id", "ts").rows() == [("a", 1.0, 1.0, 2.0), ("b", 0.0, 0.0, 0.0)]


def test_worked_example_by_hand():
    """The example of docs/rfm.md."""
    log = pd.DataFrame({
        "customer_id": ["A", "A", "A", "A", "B", "C"],
        "date": pd.to_datetime(["2024-01-01", "2024-01-01", "2024-01-04", "2024-01-09",
                                "2024-01-03", "2024-01-12"]),
        "amount": [30.0, 10.0, 25.0, 35.0, 50.0, 20.0],
    })
    got = rfm.summary(log, "customer_id", "date", "amount", observation_period_end="2024-01-10")
    assert got.to_dict("index") == {
        "A": {"frequency": 2.0, "recency": 8.0, "T": 9.0, "monetary_value": 30.0},
        "B": {"frequency": 0.0, "recency": 0.0, "T": 7.0, "monetary_value": 0.0},
    }  # C buys after the observation end: not in the summary
    weekly = rfm.summary(log, "customer_id", "date", "amount",
                         observation_period_end="2024-01-10", freq="W")
    # weeks Mon 1 Jan - Sun 7 Jan, Mon 8 Jan - ...: A buys in both weeks
    assert weekly.loc["A"].tolist() == [1.0, 1.0, 1.0, 35.0]
    assert weekly.loc["B"].tolist() == [0.0, 0.0, 1.0, 0.0]
    in_weeks = rfm.summary(log, "customer_id", "date", "amount",
                           observation_period_end="2024-01-10", freq_multiplier=7)
    assert in_weeks.loc["A", "T"] == 9 / 7
    monthly = rfm.summary(log, "customer_id", "date", "amount", freq="M",
                          observation_period_end="2024-03-05")
    # first days of January and March are 60 days apart: 60 / 30.436875 months
    assert monthly.loc["C", "T"] == 60 * 86_400 / 2_629_746
    assert monthly.loc["A", "frequency"] == 0.0


def test_period_start():
    assert rfm.period_start("1997-09-30", "W") == dt.datetime(1997, 9, 29)
    assert rfm.period_start("1997-09-30 17:45", "M") == dt.datetime(1997, 9, 1)
    assert rfm.period_start(dt.date(2024, 1, 7), "W") == dt.datetime(2024, 1, 1)
    assert rfm.period_start("2024-01-07 17:45", "h") == dt.datetime(2024, 1, 7, 17)


# --------------------------------------------------------------------------- calibration/holdout


def test_calibration_holdout_cdnow_published_figures(cdnow):
    """Fader, Hardie & Lee (2005), CDNOW 1/10 sample: 39 + 39 weeks, 2,357 customers,
    2,457 repeat purchases in calibration and 1,882 in the holdout, 1,411 customers
    without a repeat purchase in calibration."""
    got = rfm.calibration_holdout(cdnow, "customer_id", "date", "1997-09-30", "1998-06-30",
                                  freq="D", freq_multiplier=7, monetary_value_col="amount")
    expected = _lifetimes_cal_holdout(cdnow, "customer_id", "date", "amount", "1997-09-30",
                                      "1998-06-30", "D", 7)
    _assert_same(got, expected)
    assert list(got.columns) == ["frequency_cal", "recency_cal", "T_cal", "monetary_value_cal",
                                 "frequency_holdout", "monetary_value_holdout",
                                 "duration_holdout"]
    assert len(got) == 2357
    assert got["frequency_cal"].sum() == 2457
    assert got["frequency_holdout"].sum() == 1882
    hist = got["frequency_cal"].value_counts().sort_index()
    assert hist.iloc[:7].tolist() == [1411, 439, 214, 100, 62, 38, 29]
    assert (got["duration_holdout"] == 39.0).all()
    assert got["T_cal"].max() == 38 + 6 / 7  # first purchase 1 Jan, end 30 Sep 1997


@pytest.mark.parametrize("freq,mult,cal,obs", [
    ("D", 1, "2024-02-15 12:00", None),
    ("W", 1, "2024-01-31", "2024-04-07"),
    ("M", 1, "2024-01-31", "2024-03-31"),
    ("D", 7, "2024-02-29", "2024-04-15"),
])
def test_calibration_holdout_equals_lifetimes_definitions(generated, freq, mult, cal, obs):
    end = generated["ts"].max() if obs is None else obs
    expected = _lifetimes_cal_holdout(generated, "cust", "ts", "value", cal, end, freq, mult)
    got = rfm.calibration_holdout(generated, "cust", "ts", cal, obs, freq=freq,
                                  freq_multiplier=mult, monetary_value_col="value")
    _assert_same(got, expected)
    assert got["frequency_holdout"].gt(0).sum() > 20  # the holdout is not trivially empty
    bare = rfm.calibration_holdout(pl.from_pandas(generated), "cust", "ts", cal, obs, freq=freq,
                                   freq_multiplier=mult)
    assert bare.columns == ["cust", "frequency_cal", "recency_cal", "T_cal",
                            "frequency_holdout", "duration_holdout"]
    cols = ["frequency_cal", "recency_cal", "T_cal", "frequency_holdout", "duration_holdout"]
    assert np.abs(bare.drop("cust").to_numpy() - expected[cols].to_numpy()).max() < ATOL


def test_calibration_holdout_by_hand():
    log = pl.DataFrame({
        "id": ["a", "a", "a", "a", "a", "b", "c"],
        "ts": [dt.datetime(2024, 1, 1, 9), dt.datetime(2024, 1, 3, 9), dt.datetime(2024, 1, 5),
               dt.datetime(2024, 1, 5, 10), dt.datetime(2024, 1, 6), dt.datetime(2024, 1, 2),
               dt.datetime(2024, 1, 6)],
        "v": [10.0, 20.0, 1.0, 2.0, 6.0, 5.0, 7.0],
    })
    got = rfm.calibration_holdout(log, "id", "ts", "2024-01-04", monetary_value_col="v")
    # a: calibration days 1 and 3; holdout days 5 (two purchases) and 6 -> 2 periods,
    # mean per holdout transaction (1 + 2 + 6) / 3; c only buys in the holdout: left out
    assert got.rows() == [
        ("a", 1.0, 2.0, 3.0, 20.0, 2.0, 3.0, 2.0),
        ("b", 0.0, 0.0, 2.0, 0.0, 0.0, 0.0, 2.0),
    ]


# --------------------------------------------------------------------------- errors


def _log():
    return pd.DataFrame({"id": ["a", "b", "a"],
                         "day": pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-05"]),
                         "amount": [1.0, 2.0, 3.0]})


def test_missing_columns_are_named():
    with pytest.raises(DataError, match=r"\['when', 'value'\] missing.*\['id', 'day', 'amount'\]"):
        rfm.summary(_log(), "id", "when", "value")


def test_unparseable_dates_name_value_and_row():
    log = _log().assign(day=["2024-01-01", "2024-01-02", "soon"])
    with pytest.raises(DataError, match=r"'day'.*1 value\(s\) that are not dates.*'soon' at row 2"):
        rfm.summary(log, "id", "day")
    with pytest.raises(DataError, match=r"'day'.*not dates"):
        rfm.summary(pl.from_pandas(log).lazy(), "id", "day")
    mixed = pl.DataFrame({"id": ["a", "b", "c", "d"],
                          "day": [None, "2024-01-02", "2024/01/03", "2024-01-04"]})
    with pytest.raises(DataError, match=r"1 value\(s\) that are not dates with format "
                                        r"'%Y-%m-%d', first '2024/01/03' at row 2.*"
                                        r"1 empty value\(s\), first at row 0"):
        rfm.summary(mixed, "id", "day", datetime_format="%Y-%m-%d")


def test_missing_values_are_refused():
    log = _log()
    log.loc[1, "day"] = pd.NaT
    with pytest.raises(DataError, match=r"column 'day' has 1 empty value\(s\), "
                                        r"first at row 1"):
        rfm.summary(log, "id", "day")
    log = _log()
    log.loc[2, "id"] = None
    with pytest.raises(DataError, match=r"no customer id in column 'id' \(first at row 2"):
        rfm.summary(log, "id", "day")
    log = _log()
    log.loc[0, "amount"] = np.nan
    with pytest.raises(DataError, match=r"no amount in column 'amount' \(first at row 0"):
        rfm.calibration_holdout(log, "id", "day", "2024-01-02", monetary_value_col="amount")
    with pytest.raises(DataError, match="not numbers"):
        rfm.summary(_log().assign(amount=["1", "2", "3"]), "id", "day", "amount")
    with pytest.raises(DataError, match="empty"):
        rfm.summary(_log().iloc[:0], "id", "day")


def test_bad_dates_and_arguments():
    with pytest.raises(DataError, match=r"comes before the first purchase \(2024-01-01\)"):
        rfm.summary(_log(), "id", "day", observation_period_end="2023-12-31")
    with pytest.raises(UsageError, match=r"calibration_period_end \(2024-01-04\) comes after "
                                         r"observation_period_end \(2024-01-03\)"):
        rfm.calibration_holdout(_log(), "id", "day", "2024-01-04", "2024-01-03")
    with pytest.raises(DataError, match="holdout period is empty"):
        rfm.calibration_holdout(_log(), "id", "day", "2024-01-05")
    with pytest.raises(DataError, match="no purchase on or before calibration_period_end"):
        rfm.calibration_holdout(_log(), "id", "day", "2023-06-30")
    with pytest.raises(UsageError, match=r"freq='Q' is not supported"):
        rfm.summary(_log(), "id", "day", freq="Q")
    with pytest.raises(UsageError, match="freq_multiplier"):
        rfm.summary(_log(), "id", "day", freq_multiplier=0)
    with pytest.raises(UsageError, match="observation_period_end='someday' is not a date"):
        rfm.summary(_log(), "id", "day", observation_period_end="someday")
    with pytest.raises(UsageError, match="pandas DataFrame or a polars"):
        rfm.summary(_log().to_dict(), "id", "day")


def test_labels_registered():
    assert i18n.t("T", "zh") == "客户年龄"
    assert i18n.t("frequency_holdout", "en") == "Purchases (holdout)"
