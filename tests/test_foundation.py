"""Configuration, run context, disk helpers, labels, masking, chart style, CDNOW, CLI help."""

from __future__ import annotations

import subprocess
import sys
from datetime import date
from pathlib import Path

import polars as pl
import pytest

from workbench import cli, config, context, datasets, i18n, io, plots, privacy
from workbench.errors import DataError, UsageError

ROOT = Path(__file__).resolve().parents[1]


# --- configuration ---------------------------------------------------------

def _write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "workbench.yaml"
    p.write_text(text, encoding="utf-8")
    return p


def test_config_resolves_paths_and_sources(tmp_path):
    p = _write(tmp_path, """
company: {name: 测试公司, founded: 2020-01-01}
paths: {processed: out/processed}
sources:
  orders:
    path: raw/orders.csv
    encoding: gb18030
    columns: {订单编号: order_id, 客户编号: customer_id, 下单日期: order_date, 金额: amount}
  customers:
    url: sqlite:///crm.db
    query: SELECT * FROM customers
report: {lang: en}
""")
    cfg = config.load(p)
    assert cfg.processed_dir == (tmp_path / "out" / "processed").resolve()
    assert cfg.reports_dir == (tmp_path / "reports").resolve()
    assert cfg.founded == date(2020, 1, 1)
    orders = cfg.sources["orders"]
    assert orders.path == (tmp_path / "raw" / "orders.csv").resolve()
    assert orders.format == "csv" and orders.encoding == "gb18030"
    assert orders.columns["下单日期"] == "order_date"
    assert cfg.sources["customers"].url == f"sqlite:///{(tmp_path / 'crm.db').resolve()}"
    assert cfg.sources["customers"].format == "sql"
    assert cfg.lang == "en" and cfg.show_pii is False


@pytest.mark.parametrize("text, message", [
    ("sources:\n  order:\n    path: x.csv\n", "sources.order: unknown table"),
    ("sources:\n  orders:\n    path: x.csv\n    columns: {金额: amout}\n",
     "maps '金额' to 'amout', which is not a column"),
    ("sources:\n  orders:\n    url: sqlite:///x.db\n", "needs a 'query'"),
    ("sources:\n  orders:\n    path: x.csv\n    sheeet: 1\n", "unknown key(s) ['sheeet']"),
    ("colours: red\n", "unknown section(s) ['colours']"),
    ("company: {founded: yesterday}\n", "is not a date"),
    ("sources: [1, 2\n", "not valid YAML"),
])
def test_config_errors_name_the_problem(tmp_path, text, message):
    p = _write(tmp_path, text)
    with pytest.raises(config.ConfigError) as err:
        config.load(p)
    assert message in str(err.value)
    assert err.value.exit_code == 2


def test_config_is_found_from_env_or_parents(tmp_path, monkeypatch):
    p = _write(tmp_path, "report: {lang: zh}\n")
    sub = tmp_path / "notebooks"
    sub.mkdir()
    monkeypatch.delenv(config.ENV_VAR, raising=False)
    monkeypatch.chdir(sub)
    assert config.find_config() == p
    other = tmp_path / "elsewhere.yaml"
    other.write_text("report: {lang: en}\n", encoding="utf-8")
    monkeypatch.setenv(config.ENV_VAR, str(other))
    assert config.load().lang == "en"
    monkeypatch.setenv(config.ENV_VAR, str(tmp_path / "missing.yaml"))
    with pytest.raises(config.ConfigError, match="does not point at a file"):
        config.find_config()


# --- run context -------------------------------------------------------------

def test_period_helpers():
    assert context.month_end(date(2024, 2, 10)) == date(2024, 2, 29)
    assert context.last_complete_month_end(date(2026, 10, 31)) == date(2026, 10, 31)
    assert context.last_complete_month_end(date(2026, 11, 3)) == date(2026, 10, 31)
    assert context.period_of(date(2026, 10, 31)) == "2026-10"
    assert context.period_of(date(2026, 9, 30), "quarter") == "2026-Q3"
    assert context.period_bounds(date(2026, 10, 31)) == (date(2026, 10, 1), date(2026, 10, 31))
    assert context.period_bounds(date(2026, 3, 31), shift=-1) == (date(2026, 2, 1), date(2026, 2, 28))
    assert context.period_bounds(date(2026, 1, 31), shift=-12) == (date(2025, 1, 1), date(2025, 1, 31))
    assert context.period_bounds(date(2026, 3, 31), "quarter", -1) == (date(2025, 10, 1), date(2025, 12, 31))
    with pytest.raises(UsageError, match="YYYY-MM-DD"):
        context.parse_date("31/10/2026")


def test_resolve_reads_processed_orders_as_of(tmp_path, monkeypatch):
    processed = tmp_path / "processed"
    processed.mkdir()
    pl.DataFrame({
        "order_id": ["o1", "o2", "o3"], "customer_id": ["a", "a", "b"],
        "order_date": [date(2026, 9, 3), date(2026, 10, 2), date(2026, 11, 4)],
        "amount": [10.0, 20.0, 30.0],
    }).write_parquet(processed / "orders.parquet")
    p = _write(tmp_path, "paths: {processed: processed}\nreport: {lang: zh, show_pii: true}\n")
    ctx = context.resolve(str(p))
    assert ctx.as_of == date(2026, 10, 31) and ctx.period == "2026-10"
    assert ctx.results_dir == processed / "2026-10-31" and ctx.results_dir.is_dir()
    assert ctx.lang == "zh" and ctx.show_pii is True
    assert ctx.load("orders")["order_id"].to_list() == ["o1", "o2"]
    assert ctx.load("orders", date(2026, 9, 30))["order_id"].to_list() == ["o1"]
    # Only the asked columns the table has, in the file's order; the date column bounds the
    # rows even when it is not asked for.
    narrow = ctx.load("orders", columns=["amount", "customer_id", "status"])
    assert narrow.columns == ["customer_id", "amount"] and narrow["amount"].to_list() == [10.0, 20.0]
    load = ctx.loader({"orders": ["order_id", "order_date"]}, as_of=date(2026, 9, 30))
    assert load("orders").rows() == [("o1", date(2026, 9, 3))]
    assert ctx.loader()("orders").columns == ["order_id", "customer_id", "order_date", "amount"]
    ctx2 = context.resolve(str(p), as_of="2026-09-30", results_dir=tmp_path / "r", lang="en",
                           show_pii=False)
    assert (ctx2.as_of, ctx2.lang, ctx2.show_pii) == (date(2026, 9, 30), "en", False)
    # No source for the table: the message says so (rather than "run workbench clean").
    with pytest.raises(DataError, match=r"needs the customers table, and the configuration has "
                                        r"no source for it .*sources\.customers"):
        ctx.load("customers")
    ctx.require(["orders"])  # a clean file: nothing to say
    with pytest.raises(DataError, match=r"needs the visits table.*sources\.visits"):
        ctx.require(["orders", "visits", "customers"])  # the first missing one, before any work
    (tmp_path / "c.csv").write_text("customer_id\na\n", encoding="utf-8")
    with_source = _write(tmp_path, "paths: {processed: processed}\n"
                                   "sources: {customers: {path: c.csv}}\n")
    with pytest.raises(DataError, match="customers.parquet does not exist"):
        context.resolve(str(with_source)).load("customers")
    with pytest.raises(UsageError, match="lang 'fr'"):
        context.resolve(str(p), lang="fr")


# --- disk helpers ------------------------------------------------------------

def test_atomic_writes_and_step_results(tmp_path):
    df = pl.DataFrame({"a": [1, 2]})
    path = io.atomic_write_parquet(df, tmp_path / "x" / "a.parquet")
    assert pl.read_parquet(path).equals(df)
    assert [p.name for p in path.parent.iterdir()] == ["a.parquet"]
    import numpy as np

    io.save_step_results(tmp_path, "clv", {"mae": np.float64(0.25), "n": np.int64(3),
                                           "when": date(2026, 1, 2), "bad": float("nan")})
    assert io.load_step_results(tmp_path, "clv") == {"mae": 0.25, "n": 3, "when": "2026-01-02",
                                                    "bad": None}
    assert io.load_step_results(tmp_path, "nothing") == {}
    with pytest.raises(DataError, match="written by notebook 02"):
        io.read_parquet(tmp_path / "segments.parquet", what="notebook 02")
    wide = pl.DataFrame({"customer_id": ["C1"], "tier": ["A"], "score": [0.5]})
    io.atomic_write_parquet(wide, tmp_path / "segments.parquet")
    assert io.read_parquet(tmp_path / "segments.parquet", columns=["tier", "customer_id"]).equals(
        wide.select("tier", "customer_id"))
    with pytest.raises(DataError, match="lacks column.s. abc_class.* written by notebook 02"):
        io.read_parquet(tmp_path / "segments.parquet", "notebook 02", columns=["tier", "abc_class"])
    # An unwritable value leaves no half file behind.
    with pytest.raises(TypeError):
        io.atomic_write_json({"x": object()}, tmp_path / "bad.json")
    assert not list(tmp_path.glob("*.tmp")) and not (tmp_path / "bad.json").exists()


# --- labels and masking --------------------------------------------------------

def test_labels_and_masking():
    assert i18n.t("sales_rep", "zh") == "客户经理" and i18n.t("sales_rep", "en") == "Account manager"
    assert i18n.t("no_such_key", "zh") == "no_such_key"
    with pytest.raises(ValueError, match="lacks"):
        i18n.register({"x": {"zh": "一"}})
    with pytest.raises(ValueError, match="unknown language"):
        i18n.t("revenue", "fr")
    # A key means one thing everywhere; a room's own meaning goes under its room key.
    i18n.register({"revenue": {"zh": "销售额", "en": "Revenue"}})
    with pytest.raises(ValueError, match="already registered"):
        i18n.register({"revenue": {"zh": "收入", "en": "Income"}})
    i18n.register({"revenue": {"zh": "收入", "en": "Income"}}, room="test_ns")
    assert i18n.t("revenue", "zh", "test_ns") == "收入" and i18n.t("revenue", "zh") == "销售额"
    assert i18n.t("channel", "zh", "test_ns") == "渠道"
    assert i18n.column_labels(["revenue", "x"], "en", "test_ns") == {"revenue": "Income", "x": "x"}
    assert i18n.t("test_ns.revenue", "en") == "Income"  # one key scheme: <room>.<key>
    i18n.register({"sentence": {"zh": "共{n}位客户", "en": "{n} customers"}}, room="test_ns")
    assert i18n.say("sentence", "zh", "test_ns", n=3) == "共3位客户"


def test_frame_masks_equal_the_value_masks():
    """mask_frame masks whole polars columns with expressions; every value comes out as the
    one-value functions give it (characters, not bytes; empty and missing values kept)."""
    values = [None, "", "a", "张", "张伟", "Zhang Wei", "𠀀b", "1234", "12345", "13812345678",
              "+86 138-1234-5678", "@", "@@", "a@", "@b", "wei.zhang@example.cn", "x@y@z",
              "张伟@例子.中国", "noat"]
    kinds = {"name": privacy.mask_name, "contact": privacy.mask_name,
             "phone": privacy.mask_phone, "email": privacy.mask_email}
    frame = pl.DataFrame({c: values for c in kinds})
    masked = privacy.mask_frame(frame, False, {c: c for c in kinds})
    for column, mask in kinds.items():
        assert masked[column].to_list() == [mask(v) for v in values], column
    assert masked["phone"][9] == "*******5678" and masked["email"][15] == "w***@example.cn"
    assert privacy.mask_frame(frame, True) is frame
    # pandas frames (a library's boundary) are masked value by value, the same way
    pdf = privacy.mask_frame(frame.to_pandas(), False, {"name": "name"})
    assert pdf["name"].tolist()[2:6] == ["a*", "张*", "张*", "Z********"]


def test_every_module_registers_labels_that_agree():
    import importlib

    for name in ("clean", "ingest", "rfm", "segment", "clv", "churn", "service", "report",
                 "plots.segment", "plots.clv", "plots.churn", "plots.service",
                 "plots.cleaning", "plots.summary", "demo"):
        importlib.import_module(f"workbench.{name}")  # raises on a conflicting label
    assert privacy.mask_name("张伟") == "张*"
    assert privacy.mask_phone("13812345678") == "*******5678"
    assert privacy.mask_email("wei.zhang@example.cn") == "w***@example.cn"
    df = pl.DataFrame({"name": ["李娜", None], "phone": ["13900001111", ""], "city": ["杭州", "苏州"]})
    masked = privacy.mask_frame(df)
    assert masked.to_dict(as_series=False) == {
        "name": ["李*", None], "phone": ["*******1111", ""], "city": ["杭州", "苏州"]}
    assert privacy.mask_frame(df, show_pii=True) is df
    assert privacy.mask_frame(df.to_pandas())["name"].tolist()[0] == "李*"


def test_by_customer_stacks_its_partitions_to_the_whole():
    from workbench import frames

    rows = pl.DataFrame({"customer_id": [f"c{i % 37:02d}" for i in range(500)],
                         "value": [float(i % 11) for i in range(500)]}).lazy()

    def query(lf: pl.LazyFrame) -> pl.LazyFrame:
        return lf.group_by("customer_id").agg(pl.len(), pl.col("value").sum())
    whole = frames.by_customer(rows, query)
    assert whole.height == 37 and whole.get_column("customer_id").is_sorted()
    assert whole.get_column("len").sum() == 500
    for per_part in (1, 60, 499):  # 500, 9 and 2 partitions
        assert frames.by_customer(rows, query, rows_per_part=per_part).equals(whole)


def test_rooms_load_their_names_on_first_use():
    """A room's names (its __init__.pyi) load on first use: the report's runner, whose
    configuration check imports every room's settings, loads no scikit-learn, lifetimes,
    Splink, pandas or matplotlib; a room's words are registered on import, and every
    listed name resolves."""
    import subprocess
    import sys

    probe = ("import sys, workbench.report.pipeline, workbench.segment; "
             "from workbench import i18n; "
             "print(sorted(m for m in ('sklearn', 'lifetimes', 'splink', 'scipy', 'pandas', "
             "'matplotlib') if m in sys.modules)); "
             "print(i18n.t('text.scope', 'en', room='segment')[:8])")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.splitlines() == ["[]", "As of **"]
    import importlib

    for room in ("clean", "segment", "clv", "churn", "service", "manage", "plots", "engine",
                 "report"):
        module = importlib.import_module(f"workbench.{room}")
        assert len(module.__all__) > 10
        for name in module.__all__:
            assert getattr(module, name) is not None, (room, name)


# --- chart style -------------------------------------------------------------------

def test_chinese_labels_render_with_the_shipped_font(tmp_path, recwarn):
    import matplotlib

    matplotlib.use("Agg")  # tests only; report notebooks use the inline backend
    import matplotlib.pyplot as plt
    from matplotlib import font_manager

    plots.setup("zh")
    path = font_manager.findfont(font_manager.FontProperties(family=plots.CJK_FONT_NAME),
                                 fallback_to_default=False)
    assert Path(path) == plots.cjk_font_path()
    fig, ax = plt.subplots()
    ax.set_title("客户分级 Tier A/B/C")
    ax.bar(["重要客户", "一般客户"], [3, 1])
    fig.savefig(tmp_path / "zh.png")
    plt.close(fig)
    missing = [w for w in recwarn.list if "missing from font" in str(w.message)]
    assert missing == []
    assert (tmp_path / "zh.png").stat().st_size > 5000


def test_number_formats():
    assert plots.fmt_money(1_234_567) == "¥1.23M"
    assert plots.fmt_money(1_234_567, "zh") == "¥123.5万"
    assert plots.fmt_money(-320_000_000, "zh") == "-¥3.20亿"
    assert plots.fmt_money(999) == "¥999"
    assert plots.fmt_pct(0.1234) == "12.3%" and plots.fmt_int(12345) == "12,345"
    import numpy as np

    cells = [12345.678, 123.45, 0.71634, float("nan"), None, np.int64(12345), 204.0, "A", True]
    assert [plots.fmt_number(v) for v in cells] == [
        "12,346", "123.5", "0.716", "", "", "12,345", "204", "A", "True"]


def test_tables_hide_a_meaningless_index_and_format_numbers():
    import pandas as pd

    html = plots.table_html(pd.DataFrame({"tier": ["A", "B"], "revenue": [27048225.6, None]}))
    assert "27,048,226" in html and "nan" not in html.lower()
    assert "row_heading" not in html  # the 0, 1 index is hidden
    labelled = plots.table_html(pd.DataFrame({"auc": [0.716]}, index=["model"]))
    assert "model" in labelled and "0.716" in labelled


# --- real data -----------------------------------------------------------------------

def test_cdnow_sample_is_read_from_lifetimes_files():
    df = datasets.load_cdnow()
    assert df.shape == (6919, 3)
    assert df["customer_id"].n_unique() == 2357
    assert df.schema == {"customer_id": pl.String, "date": pl.Date, "amount": pl.Float64}
    assert (df["date"].min(), df["date"].max()) == (date(1997, 1, 1), date(1998, 6, 30))
    assert round(df["amount"].sum(), 2) == 244091.94
    first = df.filter(pl.col("customer_id") == "0001").sort("date")
    assert first["amount"].to_list() == [29.33, 29.73, 14.96, 26.48]


# --- command line ----------------------------------------------------------------------

def test_cli_help_explains_itself(capsys):
    with pytest.raises(SystemExit) as exit_:
        cli.main(["--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    for word in ("demo-data", "clean", "report", "exit codes"):
        assert word in out
    assert cli.main([]) == 2


def test_python_dash_m_runs_the_same_command():
    proc = subprocess.run([sys.executable, "-m", "workbench", "report", "--help"],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 0
    assert "--period" in proc.stdout and "--from" in proc.stdout


def test_cli_reports_a_bad_config_with_exit_code_2(tmp_path, capsys):
    bad = tmp_path / "workbench.yaml"
    bad.write_text("sources:\n  order:\n    path: x.csv\n", encoding="utf-8")
    assert cli.main(["clean", "--config", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "workbench clean: error:" in err and "unknown table" in err


def test_sample_rows_is_seeded_sorted_and_none_when_every_row_is_used():
    import numpy as np

    from workbench.sampling import sample_rows

    assert sample_rows(10, None, 0) is None and sample_rows(10, 10, 0) is None
    rows = sample_rows(1000, 50, 7)
    assert rows is not None and len(rows) == 50 == len(set(rows.tolist()))
    assert (np.diff(rows) > 0).all() and rows.max() < 1000
    assert rows.tolist() == sample_rows(1000, 50, 7).tolist()
    assert rows.tolist() != sample_rows(1000, 50, [7, 1]).tolist()
