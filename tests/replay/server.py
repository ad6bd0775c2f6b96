"""Local replay of the eastmoney and Sina endpoints akshare 1.19.5 calls, in their REAL raw formats.

Served from the embedded sample (``data/sample``; never ../shared): eastmoney kline JSON with 11-field
strings (O, C, H, L order; volume in 手), clist pagination for ``stock_zh_a_spot_em`` with the 31-key
row order, Sina's ``klc_kl.js`` payload (encoded by :mod:`tests.replay.sina_klc`, decoded by akshare's
own JS), Sina share-amount JSONP, ``hfq.js`` factors and futures JSONP. The server checks the exact
request parameters akshare sends (secid, klt, fqt, beg/end, fields, ut…) and answers 400 otherwise.

Requests arrive as ``http://127.0.0.1:<port>/<original host>/<path>?<query>`` (the routing fixture
rewrites ``https://<host>/…``). ``faults`` inject the failure modes: ``reset`` (close without a
response — eastmoney's ban symptom), ``500``, ``slow`` (delay past the client timeout), ``captcha``
(HTML page with status 200), ``extra_field`` (a 12th kline field), ``empty``.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit
from zoneinfo import ZoneInfo

import pandas as pd

from .sina_klc import encode, encode_trade_dates

SHANGHAI = ZoneInfo("Asia/Shanghai")
SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample"
EM_UT = "7eea3edcaed734bea9cbfc24409ed989"
EM_STOCK_PARAMS = {"fields1": "f1,f2,f3,f4,f5,f6", "fields2": "f51,f52,f53,f54,f55,f56,f57,f58,f59,f60,f61,f116",
                   "ut": EM_UT}
EM_INDEX_PARAMS = {"fields1": "f1,f2,f3,f4,f5", "fields2": "f51,f52,f53,f54,f55,f56,f57,f58", "klt": "101",
                   "fqt": "0"}
SPOT_PARAMS = {"po": "1", "np": "1", "ut": "bd1d9ddb04089700cf9c27f6f7426281", "fltt": "2", "invt": "2",
               "fid": "f12", "fs": "m:0 t:6,m:0 t:80,m:1 t:2,m:1 t:23,m:0 t:81 s:2048",
               "fields": "f1,f2,f3,f4,f5,f6,f7,f8,f9,f10,f12,f13,f14,f15,f16,f17,f18,f20,f21,f23,f24,f25,f22,f11,"
                         "f62,f128,f136,f115,f152"}
CAPTCHA = ("<!DOCTYPE html><html><head><title>验证</title></head><body>请完成安全验证 captcha"
           "</body></html>")


@dataclass
class Fault:
    mode: str                      # reset | 500 | slow | captcha | extra_field | empty
    host: str = ""                 # substring of the original host
    path: str = ""                 # substring of the path
    times: int | None = None       # None = forever
    delay_s: float = 2.0


@dataclass
class Hit:
    host: str
    path: str
    params: dict[str, str]
    status: int


def _ymd(s: str) -> dt.date:
    return dt.datetime.strptime(s, "%Y%m%d").date()


class ReplayData:
    """The sample tables the endpoints serve, loaded once."""

    def __init__(self, sample: Path = SAMPLE) -> None:
        self.stock = pd.read_parquet(sample / "stock_1d.parquet")
        self.stock["date"] = pd.to_datetime(self.stock["date"]).dt.date
        self.factors = pd.read_parquet(sample / "adj_factors.parquet")
        self.factors["date"] = pd.to_datetime(self.factors["date"]).dt.date
        self.index = pd.read_parquet(sample / "index_1d.parquet")
        self.index["date"] = pd.to_datetime(self.index["date"]).dt.date
        self.futures = pd.read_parquet(sample / "futures_1d.parquet")
        self.futures["date"] = pd.to_datetime(self.futures["date"]).dt.date
        self.instruments = pd.read_parquet(sample / "instruments.parquet")
        self.etf = pd.read_parquet(sample / "etf_1d.parquet")
        self.valuation = pd.read_parquet(sample / "valuation_1d.parquet")
        # 1-minute shape: the sample's real SSE Composite minutes (2016-01, 2020-07), served for any stock
        # as stand-ins scaled to 1/100 of the index level (eastmoney keeps only the last 5 days anyway)
        self.minute = pd.read_parquet(sample / "minute_1m.parquet")
        self.valuation["date"] = pd.to_datetime(self.valuation["date"]).dt.date
        self.etf["date"] = pd.to_datetime(self.etf["date"]).dt.date
        self._by_symbol = {s: g.reset_index(drop=True) for s, g in self.stock.groupby("symbol")}
        # ETFs (fund_etf_hist_em uses the same kline endpoint): sample rows as traded days
        etf = self.etf.assign(trade_status=1, is_st=False, turnover=float("nan"))
        self._by_symbol.update({s: g.reset_index(drop=True) for s, g in etf.groupby("symbol")})
        self.etf_symbols = set(etf["symbol"])
        self.extra: dict[str, pd.DataFrame] = {}   # synthetic symbols for benchmarks
        self.extra_base: dict[str, str] = {}       # synthetic symbol → sample symbol it copies

    def bars(self, symbol: str) -> pd.DataFrame | None:
        got = self.extra.get(symbol)
        if got is not None:
            return got
        return self._by_symbol.get(symbol)

    def traded(self, symbol: str) -> pd.DataFrame | None:
        b = self.bars(symbol)
        return None if b is None else b[b["trade_status"] == 1].reset_index(drop=True)

    def factor_series(self, symbol: str, dates: pd.Series) -> pd.Series:
        base = symbol if symbol in self._by_symbol else self.extra_base.get(symbol, symbol)
        f = self.factors[self.factors["symbol"] == base].sort_values("date")
        if f.empty:
            return pd.Series(1.0, index=dates.index)
        idx = f["date"].searchsorted(dates.to_numpy(), side="right") - 1
        vals = f["factor"].to_numpy()
        return pd.Series([vals[i] if i >= 0 else vals[0] for i in idx], index=dates.index)


@dataclass
class ReplayState:
    data: ReplayData
    hits: list[Hit] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)
    page_size: int = 100
    spot_day: dt.date = dt.date(2024, 6, 28)
    spot_symbols: list[str] | None = None
    spot_names: dict[str, str] = field(default_factory=dict)   # symbol → 名称 override (e.g. "-" or a rename)
    lock: threading.Lock = field(default_factory=threading.Lock)

    extra_trade_dates: list[dt.date] = field(default_factory=list)   # e.g. a newly published year
    minute_day: dt.date = dt.date(2020, 7, 15)   # last day of eastmoney's 5-day 1-minute window (trends2)

    def trade_dates(self) -> list[dt.date]:
        """The bundled calendar (what Sina serves up to its last year) plus ``extra_trade_dates``."""
        from jupyterlab_quant.core.calendar import default_calendar

        return sorted({*default_calendar().days, *self.extra_trade_dates})

    def count(self, host: str = "", path: str = "") -> int:
        return sum(1 for h in self.hits if host in h.host and path in h.path)

    def history_requests(self) -> int:
        """kline/klc/futures history requests (not snapshot pages)."""
        return sum(1 for h in self.hits if "kline" in h.path or "klc_kl" in h.path or "getDailyKLine" in h.path)

    def fault_for(self, host: str, path: str) -> Fault | None:
        with self.lock:
            for f in self.faults:
                if f.host in host and f.path in path and (f.times is None or f.times > 0):
                    if f.times is not None:
                        f.times -= 1
                    return f
        return None


def _market(secid: str) -> tuple[str, list[str]]:
    m, _, code = secid.partition(".")
    if m == "1":
        return code, [f"{code}.SH"]
    return code, [f"{code}.SZ", f"{code}.BJ"]


def _kline_rows(df: pd.DataFrame, fqt: str, factors: pd.Series | None, extra_field: bool,
                decimals: int = 2) -> list[str]:
    """11-field eastmoney strings: date, O, C, H, L, volume(手), amount, amplitude%, pct%, change, turnover%.
    Prices carry ``decimals`` places (eastmoney's ``decimal``: 2 for stocks, 3 for ETFs)."""
    out = []
    mult = factors if (fqt == "2" and factors is not None) else pd.Series(1.0, index=df.index)
    prev_close: float | None = None
    for i, r in enumerate(df.itertuples(index=False)):
        k = float(mult.iloc[i])
        o, c, h, lo = (round(x * k, decimals) for x in (r.open, r.close, r.high, r.low))
        if fqt == "2":
            pc = prev_close if prev_close is not None else round((r.preclose or r.open) * k, decimals)
        else:
            pc = float(r.preclose) if not pd.isna(r.preclose) else float(r.open)
        change = round(c - pc, decimals)
        amp = round((h - lo) / pc * 100, 2) if pc else 0.0
        pct = round(change / pc * 100, 2) if pc else 0.0
        lots = round(r.volume / 100)
        amount = float(r.amount) if not pd.isna(r.amount) else round(r.volume * r.close, 2)
        turn = float(r.turnover) if not pd.isna(r.turnover) else 0.0
        fields = [str(r.date), f"{o:.{decimals}f}", f"{c:.{decimals}f}", f"{h:.{decimals}f}", f"{lo:.{decimals}f}",
                  str(lots), f"{amount:.2f}", f"{amp:.2f}", f"{pct:.2f}", f"{change:.{decimals}f}", f"{turn:.2f}"]
        if extra_field:
            fields.append("0.00")
        out.append(",".join(fields))
        prev_close = c
    return out


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: Any) -> None:
        pass

    def _send(self, status: int, body: str, ctype: str = "application/json; charset=utf-8") -> None:
        raw = body.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def do_GET(self) -> None:
        st = self.server.state
        parts = urlsplit(self.path)
        host, _, path = parts.path.lstrip("/").partition("/")
        path = "/" + path
        params = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        fault = st.fault_for(host, unquote(path))
        status = 200
        try:
            if fault and fault.mode == "reset":
                self.close_connection = True
                status = 0
                return
            if fault and fault.mode == "slow":
                threading.Event().wait(fault.delay_s)
            if fault and fault.mode == "500":
                status = 502
                self._send(502, "<html><body>502 Bad Gateway</body></html>", "text/html")
                return
            if fault and fault.mode == "captcha":
                self._send(200, CAPTCHA, "text/html; charset=utf-8")
                return
            status, body, ctype = self.route(host, unquote(path), params, fault)
            self._send(status, body, ctype)
        except (BrokenPipeError, ConnectionResetError):
            pass
        finally:
            with st.lock:
                st.hits.append(Hit(host, unquote(path), params, status))

    # ---- routing ------------------------------------------------------------------------------
    def route(self, host: str, path: str, p: dict[str, str], fault: Fault | None) -> tuple[int, str, str]:
        js = "application/javascript; charset=utf-8"
        if host.endswith("eastmoney.com") and path == "/api/qt/stock/kline/get":
            return self.kline(p, fault)
        if host.endswith("eastmoney.com") and path == "/api/qt/stock/trends2/get":
            return self.trends2(p)
        if host.endswith("eastmoney.com") and path == "/api/qt/clist/get":
            return self.clist(p)
        if host == "finance.sina.com.cn" and path.endswith("/hisdata_klc2/klc_kl.js"):
            return self.sina_klc(path.split("/")[3], stock=True)
        if host == "finance.sina.com.cn" and path.endswith("/hisdata/klc_kl.js"):
            return self.sina_klc(path.split("/")[3], stock=False)
        if host == "finance.sina.com.cn" and path == "/realstock/company/klc_td_sh.txt":
            days = [d for d in self.server.state.trade_dates() if d != dt.date(1992, 5, 4)]   # Sina omits it
            return 200, f'var datelist="{encode_trade_dates(days)}";', "text/plain; charset=utf-8"
        if host == "finance.sina.com.cn" and path.endswith("/hfq.js"):
            return self.sina_hfq(path.split("/")[3])
        if host == "stock.finance.sina.com.cn" and "StockService.getAmountBySymbol" in path:
            code = p.get("symbol", "")
            return 200, (f'var KKE_ShareAmount_{code}=({{"data":[{{"date":"1990-01-01","amount":"100000.00"}}]}});'), js
        if host == "stock2.finance.sina.com.cn" and "InnerFuturesNewService.getDailyKLine" in path:
            return self.futures(p)
        if host == "quotes.sina.cn" and path == "/cn/api/openapi.php/CompanyFinanceService.getFinanceReport2022":
            return self.sina_finance(p)
        if host == "fund.eastmoney.com" and path.startswith("/pingzhongdata/") and path.endswith(".js"):
            return self.fund_js(path.rsplit("/", 1)[1][:-3])
        if host == "web.ifzq.gtimg.cn" and path == "/other/klineweb/klineWeb/weekTrends":
            return self.tx_week(p)
        if host == "proxy.finance.qq.com" and path == "/ifzqgtimg/appstock/app/newfqkline/get":
            return self.tx_kline(p)
        return 404, "<html>not found</html>", "text/html"

    def trends2(self, p: dict[str, str]) -> tuple[int, str, str]:
        """1-minute bars of the last 5 trading days up to ``state.minute_day`` (reference §3.3): 8-field
        strings time, open, close, high, low, volume (手), amount, average; only the latest day has real
        opens — earlier days show open 0, as upstream does."""
        expected = {"fields1": "f1,f2,f3,f4,f5,f6,f7,f8,f9,f10,f11,f12,f13",
                    "fields2": "f51,f52,f53,f54,f55,f56,f57,f58", "ut": "7eea3edcaed734bea9cbfc24409ed989",
                    "ndays": "5", "iscr": "0"}
        bad = {k: p.get(k) for k, v in expected.items() if p.get(k) != v}
        if bad or "." not in p.get("secid", ""):
            return 400, json.dumps({"rc": 102, "bad": bad}), "application/json"
        st = self.server.state
        m = st.data.minute
        days = sorted({t.date() for t in m["ts"]} & set(d for d in st.trade_dates() if d <= st.minute_day))[-5:]
        rows = m[m["ts"].dt.date.isin(days)].sort_values("ts")
        trends = []
        for r in rows.itertuples():
            o, c, h, lo = (round(x / 100, 2) for x in (r.open, r.close, r.high, r.low))
            vol = max(int(r.volume // 10_000), 0)            # index shares → a stock-sized volume in 手
            amount = round(vol * 100 * c, 2)
            shown_open = o if r.ts.date() == days[-1] else 0.0
            trends.append(f"{r.ts:%Y-%m-%d %H:%M},{shown_open:.2f},{c:.2f},{h:.2f},{lo:.2f},{vol},{amount:.2f},{c:.3f}")
        code = p["secid"].split(".", 1)[1]
        body = {"rc": 0, "rt": 10, "data": {"code": code, "market": int(p["secid"][0]), "name": code,
                                            "decimal": 2, "trendsTotal": len(trends), "trends": trends}}
        return 200, json.dumps(body, ensure_ascii=False), "application/json; charset=utf-8"

    def kline(self, p: dict[str, str], fault: Fault | None) -> tuple[int, str, str]:
        st = self.server.state
        is_index = p.get("fields2") == EM_INDEX_PARAMS["fields2"]
        expected = EM_INDEX_PARAMS if is_index else {**EM_STOCK_PARAMS, "klt": "101"}
        bad = {k: p.get(k) for k, v in expected.items() if p.get(k) != v}
        if is_index:
            missing = [k for k in ("secid", "beg", "end") if k not in p]
        else:
            missing = [k for k in ("secid", "beg", "end", "fqt") if k not in p]
            if p.get("fqt") not in ("0", "1", "2"):
                bad["fqt"] = p.get("fqt")
        if bad or missing:
            return 400, json.dumps({"rc": 102, "error": f"bad params {bad} missing {missing}"}), "application/json"
        code, candidates = _market(p["secid"])
        beg, end = _ymd(p["beg"]), _ymd(p["end"])
        empty = json.dumps({"rc": 0, "rt": 17, "svr": 1, "lt": 1, "full": 0, "dlmkts": "", "data": None})
        if fault and fault.mode == "empty":
            return 200, empty, "application/json"
        if is_index:
            sym = f"{code}.{'SH' if p['secid'].startswith('1.') else 'SZ'}"
            df = st.data.index[st.data.index["symbol"] == sym]
            df = df[(df["date"] >= beg) & (df["date"] <= end)]
            if df.empty:
                return 200, empty, "application/json"
            rows = [f"{r.date},{r.open:.2f},{r.close:.2f},{r.high:.2f},{r.low:.2f},{round(r.volume / 100)},"
                    f"{0.0 if pd.isna(r.amount) else r.amount:.2f},0.00" for r in df.itertuples(index=False)]
            return 200, json.dumps({"rc": 0, "data": {"code": code, "klines": rows}}), "application/json"
        sym = next((c for c in candidates if st.data.bars(c) is not None), None)
        df = st.data.traded(sym) if sym else None
        if df is None:
            return 200, empty, "application/json"
        df = df[(df["date"] >= beg) & (df["date"] <= end)].reset_index(drop=True)
        if df.empty:
            return 200, json.dumps({"rc": 0, "rt": 17, "svr": 1, "lt": 1, "full": 0, "dlmkts": "",
                                    "data": {"code": code, "market": int(p["secid"][0]), "name": sym,
                                             "decimal": 2, "dktotal": 0, "preKPrice": 0, "klines": []}}), \
                "application/json"
        factors = st.data.factor_series(sym, df["date"]) if p["fqt"] == "2" else None
        klines = _kline_rows(df, p["fqt"], factors, bool(fault and fault.mode == "extra_field"),
                             3 if sym in st.data.etf_symbols else 2)
        body = {"rc": 0, "rt": 17, "svr": 183641822, "lt": 1, "full": 0, "dlmkts": "", "dsc": "0",
                "data": {"code": code, "market": int(p["secid"][0]), "name": sym, "decimal": 2,
                         "dktotal": len(klines), "preKPrice": float(df["preclose"].iloc[0]), "klines": klines}}
        return 200, json.dumps(body, ensure_ascii=False), "application/json"

    def clist(self, p: dict[str, str]) -> tuple[int, str, str]:
        st = self.server.state
        bad = {k: p.get(k) for k, v in SPOT_PARAMS.items() if p.get(k) != v}
        if bad or p.get("pz") != "100":
            return 400, json.dumps({"rc": 102, "error": f"bad params {bad}"}), "application/json"
        rows = spot_rows(st.data, st.spot_day, st.spot_symbols, st.spot_names)
        size = min(100, st.page_size)
        pn = int(p.get("pn", "1"))
        page = rows[(pn - 1) * size: pn * size]
        return 200, json.dumps({"rc": 0, "rt": 6, "svr": 1, "lt": 1, "full": 1, "dlmkts": "",
                                "data": {"total": len(rows), "diff": page}}, ensure_ascii=False), "application/json"

    def sina_klc(self, code: str, stock: bool) -> tuple[int, str, str]:
        st = self.server.state
        sym = f"{code[2:]}.{code[:2].upper()}"
        df = st.data.traded(sym) if stock else st.data.index[st.data.index["symbol"] == sym]
        if df is None or df.empty:
            return 200, f'var KLC_KL_{code}="";', "application/javascript"
        rows = [(r.date, r.open, r.high, r.low, r.close, int(r.volume),
                 0.0 if pd.isna(r.amount) else float(r.amount)) for r in df.itertuples(index=False)]
        return 200, f'var KLC_KL_{code}="{encode(rows)}";\n', "application/javascript"

    def sina_hfq(self, code: str) -> tuple[int, str, str]:
        st = self.server.state
        sym = f"{code[2:]}.{code[:2].upper()}"
        f = st.data.factors[st.data.factors["symbol"] == sym].sort_values("date", ascending=False)
        # Sina's base differs from ours: scale by a constant to prove the adapter only trusts ratios
        data = [{"d": str(r.date), "f": f"{r.factor * 0.5:.6f}"} for r in f.itertuples(index=False)]
        body = json.dumps({"total": len(data), "data": data})
        return 200, f"var hfq_{code}={body}\n/* hfq */", "application/javascript"

    def futures(self, p: dict[str, str]) -> tuple[int, str, str]:
        st = self.server.state
        root = p.get("symbol", "")
        if p.get("type") != "2021_04_12":
            return 400, "bad type", "text/plain"
        df = st.data.futures[st.data.futures["symbol"].str.split(".").str[0] == root]
        rows = [{"d": str(r.date), "o": f"{r.open}", "h": f"{r.high}", "l": f"{r.low}", "c": f"{r.close}",
                 "v": str(int(r.volume)), "p": str(int(r.open_interest) if not pd.isna(r.open_interest) else 0),
                 "s": f"{0.0 if pd.isna(r.settle) else r.settle}"} for r in df.itertuples(index=False)]
        return 200, f"var _V21052021_4_12=({json.dumps(rows)});", "application/javascript"


    # ---- Sina 关键指标 (stock_financial_abstract) -------------------------------------------------------
    def sina_finance(self, p: dict[str, str]) -> tuple[int, str, str]:
        """``getFinanceReport2022``: ``result.data.report_list`` keyed by report date, each with ``data`` =
        items in display order, group header rows (item_value null) before their indicators.

        Values are STAND-INS derived from the sample valuation at each quarter end (no financial
        statements are in the sample): 基本每股收益 = close / pe_ttm, 每股净资产 = close / pb_mrq,
        净资产收益率(ROE) = EPS / BVPS × 100, 营业总收入增长率 = YoY % change of close / ps_ttm; 资产负债率 and
        总资产周转率 are null. The trailing 营运能力 row is there because akshare drops each group's last row.
        """
        expected = {"source": "gjzb", "type": "0", "page": "1", "num": "1000"}
        if any(p.get(k) != v for k, v in expected.items()) or not p.get("paperCode", "").startswith("sh"):
            return 400, json.dumps({"result": {"status": {"code": 1, "msg": "bad params"}}}), "application/json"
        code = p["paperCode"][2:]
        st = self.server.state
        v = st.data.valuation
        sym = next((s for s in (f"{code}.SH", f"{code}.SZ") if (v["symbol"] == s).any()), None)
        if sym is None:
            body = {"result": {"status": {"code": 0}, "data": {"report_list": {}}}}
            return 200, json.dumps(body, ensure_ascii=False), "application/json"
        bars = st.data.stock[st.data.stock["symbol"] == sym].set_index("date")["close"]
        vs = v[v["symbol"] == sym].set_index("date").sort_index()
        ends = sorted({(d.year, (d.month - 1) // 3) for d in vs.index})
        reports: dict[str, Any] = {}
        sps_prev: dict[tuple[int, int], float] = {}
        for y, q in ends:
            qend = dt.date(y, 3 * q + 3, 1) + dt.timedelta(days=40)
            qend = qend.replace(day=1) - dt.timedelta(days=1)
            rows = vs[vs.index <= qend]
            if rows.empty or rows.index[-1] < qend - dt.timedelta(days=10):
                continue
            d, r = rows.index[-1], rows.iloc[-1]
            close = float(bars.get(d, float("nan")))
            eps, bvps, sps = close / r.pe_ttm, close / r.pb_mrq, close / r.ps_ttm
            sps_prev[(y, q)] = sps
            growth = (sps / sps_prev[(y - 1, q)] - 1) * 100 if (y - 1, q) in sps_prev else None

            def item(title: str, value: float | None) -> dict[str, Any]:
                return {"item_field": "", "item_title": title, "item_value": None if value is None else
                        f"{value:.4f}", "item_display_type": 1, "item_display": "", "item_precise": "2",
                        "item_group_no": 1, "item_tongbi": None}

            items = [item("常用指标", None), item("基本每股收益", eps), item("每股净资产", bvps),
                     item("每股指标", None), item("每股营业总收入", sps),
                     item("盈利能力", None), item("净资产收益率(ROE)", eps / bvps * 100),
                     item("成长能力", None), item("营业总收入增长率", growth),
                     item("收益质量", None), item("销售现金流/营业收入", None),
                     item("财务风险", None), item("资产负债率", None),
                     item("营运能力", None), item("总资产周转率", None), item("应收账款周转天数", None)]
            reports[qend.strftime("%Y%m%d")] = {"rType": "合并期末", "rCurrency": "CNY", "is_audit": "未审计",
                                               "publish_date": (qend + dt.timedelta(days=30)).strftime("%Y%m%d"),
                                               "data": items}
        ordered = dict(sorted(reports.items(), reverse=True))
        body = {"result": {"status": {"code": 0}, "data": {"report_date": [{"date_value": k} for k in ordered],
                                                           "report_list": ordered}}}
        return 200, json.dumps(body, ensure_ascii=False), "application/json"

    # ---- eastmoney 天天基金 pingzhongdata -------------------------------------------------------------
    def fund_js(self, code: str) -> tuple[int, str, str]:
        """``pingzhongdata/<code>.js`` as eastmoney serves it: ``var`` statements that akshare executes.

        NAV values are STAND-INS derived from the sample ETF closes (data/sample/etf_1d.parquet): unit NAV =
        the ETF's close, equityReturn = its daily % change, accumulated NAV = unit NAV + 0.1. The format
        (names, ms timestamps at 00:00 Asia/Shanghai, object/array shapes) is the real one; the numbers are not
        any fund's published NAV. Unknown codes get eastmoney's 404 page.
        """
        etf = self.server.state.data.etf
        df = etf[etf["symbol"].str.split(".").str[0] == code].sort_values("date").reset_index(drop=True)
        if df.empty:
            return 404, "<html><head><title>404</title></head><body>页面不存在</body></html>", "text/html"
        ms = [int(dt.datetime.combine(d, dt.time()).replace(tzinfo=SHANGHAI).timestamp() * 1000) for d in df["date"]]
        pct = (df["close"].pct_change() * 100).round(2).fillna(0.0)
        worth = [{"x": x, "y": round(float(c), 4), "equityReturn": float(r), "unitMoney": ""}
                 for x, c, r in zip(ms, df["close"], pct, strict=True)]
        acc = [[x, round(float(c) + 0.1, 4)] for x, c in zip(ms, df["close"], strict=True)]
        body = (f'/*{dt.date.today():%Y-%m-%d %H:%M:%S}*/var ishb=false;/*基金或股票信息*/var fS_name = "{code}基金";'
                f'var fS_code = "{code}";/*原费率*/var fund_sourceRate="1.50";/*现费率*/var fund_Rate="0.15";'
                f'/*最小申购金额*/var fund_minsg="10";/*单位净值走势 equityReturn-净值回报 unitMoney-每份派送金*/'
                f"var Data_netWorthTrend = {json.dumps(worth, separators=(',', ':'))};"
                f"/*累计净值走势*/var Data_ACWorthTrend = {json.dumps(acc, separators=(',', ':'))};"
                f'/*累计收益率走势*/var Data_grandTotal = [];/*同类排名走势*/var Data_rateInSimilarType = [];')
        return 200, body, "application/javascript; charset=utf-8"

    # ---- Tencent (腾讯证券) ------------------------------------------------------------------------
    def tx_week(self, p: dict[str, str]) -> tuple[int, str, str]:
        """weekTrends: only ``data[0][0]`` (the first date Tencent has) is read by akshare."""
        if p.get("type") != "qfq" or p.get("_var") != "trend_qfq" or "code" not in p:
            return 400, "bad params", "text/plain"
        code = p["code"]
        df = self.server.state.data.traded(f"{code[2:]}.{code[:2].upper()}")
        data = [] if df is None else [[str(df["date"].iloc[0]), f"{df['close'].iloc[0]:.2f}"]]
        return 200, f"trend_qfq={json.dumps({'code': 0, 'msg': '', 'data': data})}", "text/html; charset=utf-8"

    def tx_kline(self, p: dict[str, str]) -> tuple[int, str, str]:
        """newfqkline: ``param=<sym>,day,<y>-01-01,<y+1>-12-31,640,<adj>``; rows
        ``[date, open, close, high, low, volume, {}, turnover %, amount 万元]``. Volume in 手 except STAR
        (sh688) stocks, which Tencent reports in shares (akshare's own comment) [U]."""
        try:
            code, period, a, b, limit, adj = p["param"].split(",")
            year = int(a[:4])
        except (KeyError, ValueError):
            return 400, "bad param", "text/plain"
        if (period != "day" or limit != "640" or adj not in ("", "qfq", "hfq") or a != f"{year}-01-01"
                or b != f"{year + 1}-12-31" or p.get("_var") != f"kline_day{adj}{year}"):
            return 400, f"bad params {p}", "text/plain"
        sym = f"{code[2:]}.{code[:2].upper()}"
        st = self.server.state
        df = st.data.traded(sym)
        key = {"": "day", "qfq": "qfqday", "hfq": "hfqday"}[adj]
        rows: list[list[Any]] = []
        if df is not None:
            df = df[(df["date"] >= dt.date(year, 1, 1)) & (df["date"] <= dt.date(year + 1, 12, 31))]
            df = df.reset_index(drop=True).head(640)
            k = st.data.factor_series(sym, df["date"]) if adj == "hfq" else pd.Series(1.0, index=df.index)
            lots = not code.startswith("sh688")
            for i, r in enumerate(df.itertuples(index=False)):
                f = float(k.iloc[i])
                vol = r.volume / 100 if lots else r.volume
                amount = float(r.amount) if not pd.isna(r.amount) else r.volume * r.close
                turn = float(r.turnover) if not pd.isna(r.turnover) else 0.0
                rows.append([str(r.date), f"{r.open * f:.2f}", f"{r.close * f:.2f}", f"{r.high * f:.2f}",
                             f"{r.low * f:.2f}", f"{vol:.3f}", {}, f"{turn:.2f}", f"{amount / 1e4:.4f}"])
        body = {"code": 0, "msg": "", "data": {code: {key: rows, "qt": {}, "prec": "0", "version": "16"}}}
        return 200, f"kline_day{adj}{year}={json.dumps(body, ensure_ascii=False)}", "text/html; charset=utf-8"


def spot_rows(data: ReplayData, day: dt.date, symbols: list[str] | None,
              name_override: dict[str, str] | None = None) -> list[dict[str, Any]]:
    """clist rows with exactly 31 keys in eastmoney's order (f1…f18 without f19, f20…f25, 7 extras)."""
    out = []
    names = dict(zip(data.instruments["symbol"], data.instruments["name"], strict=True)) | (name_override or {})
    # f9 (市盈率-动态) / f23 (市净率): STAND-INS taken from the sample's pe_ttm / pb_mrq of that day ("-" if none)
    v = data.valuation[data.valuation["date"] == day].set_index("symbol")
    ratios = {s: (r.pe_ttm, r.pb_mrq) for s, r in v.iterrows()}
    syms = symbols if symbols is not None else sorted(data._by_symbol)
    for sym in syms:
        b = data.bars(sym)
        if b is None:
            continue
        row = b[b["date"] == day]
        code, exch = sym.split(".")
        if row.empty:
            continue
        r = row.iloc[0]
        traded = int(r["trade_status"]) == 1
        pe, pb = (round(float(x), 2) if not pd.isna(x) else "-" for x in ratios.get(sym, (None, None)))
        price: Any = float(r["close"]) if traded else "-"
        pc = float(r["preclose"])
        d: dict[str, Any] = {
            "f1": 2, "f2": price, "f3": round((r["close"] / pc - 1) * 100, 2) if traded else "-",
            "f4": round(r["close"] - pc, 2) if traded else "-", "f5": round(r["volume"] / 100) if traded else "-",
            "f6": float(r["amount"]) if traded and not pd.isna(r["amount"]) else "-",
            "f7": round((r["high"] - r["low"]) / pc * 100, 2) if traded else "-",
            "f8": float(r["turnover"]) if traded and not pd.isna(r["turnover"]) else "-", "f9": pe, "f10": 1.0,
            "f11": 0.0, "f12": code, "f13": 1 if exch == "SH" else 0, "f14": names.get(sym) or code,
            "f15": float(r["high"]) if traded else "-", "f16": float(r["low"]) if traded else "-",
            "f17": float(r["open"]) if traded else "-", "f18": pc, "f20": 1.0e11, "f21": 1.0e11, "f22": 0.0,
            "f23": pb, "f24": 1.0, "f25": 2.0, "f62": "-", "f115": "-", "f128": "-", "f136": "-", "f140": "-",
            "f141": "-", "f152": 2}
        assert len(d) == 31
        out.append(d)
    return out


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    state: ReplayState


class ReplayServer:
    def __init__(self, data: ReplayData | None = None) -> None:
        self.state = ReplayState(data or ReplayData())
        self.httpd = _Server(("127.0.0.1", 0), _Handler)
        self.httpd.state = self.state
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> ReplayServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def reset(self) -> None:
        with self.state.lock:
            self.state.hits.clear()
            self.state.faults.clear()
        self.state.page_size = 100
        self.state.spot_symbols = None
        self.state.spot_names = {}
        self.state.extra_trade_dates = []


def pages(total: int, size: int) -> int:
    return math.ceil(total / size)
