"""`jlq risk …` (风控): rules (list | types | add | set | remove), the account the rules watch (show |
set-cash | add | remove | import | permissions | reset-peak) and one check pass.

Exit codes are those of ``jlq`` (2 bad input, 3 not found, 4 store busy, 5 other errors) plus
``jlq risk check``: 0 when no rule is breached, **8** when any rule is breached (``EXIT_BREACH``).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ..core.errors import InvalidInput
from ..core.live import Quote
from ..risk.account import DEFAULT_ACCOUNT, AccountSnapshot
from ..risk.engine import RiskService
from ..risk.model import Rule
from ..risk.store import DEFAULT_RULES

if TYPE_CHECKING:
    from ..app import Services

EXIT_BREACH = 8
_STATE_ZH = {"ok": "正常", "breach": "触发", "error": "出错", "disabled": "停用", "no_data": "无数据"}


def _risk(svc: Services) -> RiskService:
    return svc.risk


def _quotes(svc: Services, symbols: Sequence[str]) -> dict[str, Quote]:
    """Latest quotes of ``symbols``: the live bus, falling back to the store's last close."""
    return svc.latest_quotes(list(symbols)) if symbols else {}


def _params(pairs: Sequence[str] | None) -> dict[str, str] | None:
    if not pairs:
        return None
    out: dict[str, str] = {}
    for item in pairs:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise InvalidInput(f"--param 需要 name=value 形式 (expected name=value), got {item!r}",
                               "例如 --param max_drawdown_pct=10")
        out[key.strip()] = value.strip()
    return out


def _dump(obj: Any) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False, indent=1, allow_nan=False) + "\n")


def _fmt_params(params: dict[str, Any]) -> str:
    return " ".join(f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}" for k, v in params.items()) or "—"


def _print_rule(rule: Rule) -> None:
    st = rule.current_status()
    print(f"#{rule.id:<4} {'启用' if rule.enabled else '停用'}  {rule.kind:17} {rule.name}  "
          f"[{_fmt_params(rule.params)}]{f'  策略 strategy={rule.strategy}' if rule.strategy else ''}")
    print(f"       {_STATE_ZH.get(st['state'], st['state'])} ({st['state']})  {st['message']}"
          f"{'  @' + st['checked_at'] if st['checked_at'] else ''}")


# ---- rules -----------------------------------------------------------------------------------------
def cmd_rules_list(svc: Services, a: argparse.Namespace) -> int:
    rules = _risk(svc).store.list_rules()
    if a.json:
        _dump({"rules": [r.to_dict() for r in rules]})
        return 0
    if not rules:
        print("还没有风控规则 (no rules yet)。添加默认规则: jlq risk rules add --defaults")
    for r in rules:
        _print_rule(r)
    return 0


def cmd_rules_types(svc: Services, a: argparse.Namespace) -> int:
    types = _risk(svc).rule_types()
    if a.json:
        _dump({"types": types})
        return 0
    for t in types:
        print(f"{t['kind']:18} [{t['scope']}] {t['label']['zh']} ({t['label']['en']}) — {t['description']['zh']}")
        for p in t["params"]:
            rng = (f" {p['min']:g}–{p['max']:g}" if "min" in p and "max" in p
                   else f" ≥{p['min']:g}" if "min" in p else "")
            default = "必填 required" if p["default"] is None else f"默认 default {p['default']}"
            print(f"    --param {p['name']}=…  {p['type']}{rng} {p['unit']}  {p['label']['zh']}; {default}")
    return 0


def cmd_rules_add(svc: Services, a: argparse.Namespace) -> int:
    store = _risk(svc).store
    if a.defaults:
        if a.kind:
            raise InvalidInput("--defaults 不能与规则类型同时使用 (give KIND or --defaults)",
                               "jlq risk rules add --defaults")
        added = store.install_defaults()
        print(f"已添加 {len(added)} 条默认规则 (added {len(added)} default rules)"
              + ("；已有同类规则的类型已跳过 (kinds already present were skipped)"
                 if len(added) < len(DEFAULT_RULES) else ""))
        for r in added:
            _print_rule(r)
        return 0
    if not a.kind:
        raise InvalidInput("需要规则类型 KIND 或 --defaults (no rule kind given)", "jlq risk rules types 查看可用类型")
    rule = store.add(a.kind, _params(a.param), name=a.name, enabled=not a.disabled, strategy=a.strategy)
    print(f"已添加 added rule #{rule.id}")
    _print_rule(rule)
    return 0


def cmd_rules_set(svc: Services, a: argparse.Namespace) -> int:
    kwargs: dict[str, Any] = {}
    if a.strategy is not None:
        kwargs["strategy"] = a.strategy or None
    rule = _risk(svc).store.update(a.id, params=_params(a.param), enabled=a.enabled, name=a.name, **kwargs)
    print(f"已更新 updated rule #{rule.id}")
    _print_rule(rule)
    return 0


def cmd_rules_remove(svc: Services, a: argparse.Namespace) -> int:
    store = _risk(svc).store
    rule = store.get(a.id)
    store.remove(a.id)
    print(f"已删除 removed rule #{rule.id} {rule.kind} {rule.name}")
    return 0


# ---- account ---------------------------------------------------------------------------------------
def _print_account(snap: AccountSnapshot) -> None:
    perms = snap.permissions
    print(f"账户 account: {snap.name}   总值 value {snap.total_value:,.2f}   现金 cash {snap.cash:,.2f}   "
          f"市值 market {snap.market_value:,.2f}")
    print(f"权限 permissions: 创业板 ChiNext {'有' if perms.chinext else '无'}，"
          f"科创板 STAR {'有' if perms.star else '无'}"
          + (f"   峰值 peak {snap.peak_value:,.2f}" if snap.peak_value else ""))
    if not snap.positions:
        print("没有持仓 (no positions)。添加: jlq risk account add 600519.SH 100 1650 "
              "或 jlq risk account import 持仓.csv")
        return
    print(f"{'代码 symbol':12} {'名称 name':10} {'数量 qty':>10} {'成本 cost':>10} {'现价 price':>10} "
          f"{'市值 value':>14} {'权重 wt%':>8} {'盈亏 pnl%':>9}  策略 strategy")
    for p in snap.positions:
        price = "—" if p.price is None else f"{p.price:.3f}"
        flag = "" if not p.stale else f"  ({p.price_note()})"
        weight = "—" if math.isnan(p.weight) else f"{p.weight:.2f}"
        pnl = "—" if p.pnl_pct is None else f"{p.pnl_pct:+.2f}"
        print(f"{p.symbol:12} {p.name[:8]:10} {p.quantity:>10} {p.cost:>10.3f} {price:>10} {p.market_value:>14,.2f} "
              f"{weight:>8} {pnl:>9}  {p.strategy or '—'}{flag}")


def cmd_account_show(svc: Services, a: argparse.Namespace) -> int:
    risk = _risk(svc)
    symbols = risk.watched_symbols(a.account)
    snap = risk.snapshot(_quotes(svc, symbols), account=a.account)
    if a.json:
        _dump(snap.to_dict())
    else:
        _print_account(snap)
    return 0


def cmd_account_set_cash(svc: Services, a: argparse.Namespace) -> int:
    acc = _risk(svc).accounts.set_cash(_number(a.amount, "cash"), account=a.account)
    print(f"已设置现金 cash set: {acc.name} {acc.cash:,.2f}")
    return 0


def _number(text: str, what: str) -> float:
    try:
        return float(str(text).replace(",", ""))
    except ValueError:
        raise InvalidInput(f"{what} 必须是数字 (must be a number), got {text!r}", "例如 100000") from None


def cmd_account_add(svc: Services, a: argparse.Namespace) -> int:
    pos = _risk(svc).accounts.upsert_position(a.symbol, _number(a.quantity, "quantity"), _number(a.cost, "cost"),
                                              strategy=a.strategy, opened=a.opened, account=a.account)
    print(f"已保存持仓 position saved: {pos.symbol} {pos.quantity} @ {pos.cost:g}"
          f"{f' 策略 {pos.strategy}' if pos.strategy else ''}")
    return 0


def cmd_account_remove(svc: Services, a: argparse.Namespace) -> int:
    _risk(svc).accounts.remove_position(a.symbol, account=a.account)
    print(f"已删除持仓 position removed: {a.symbol}")
    return 0


def cmd_account_import(svc: Services, a: argparse.Namespace) -> int:
    encoding = None if a.encoding == "auto" else a.encoding
    positions = _risk(svc).accounts.import_csv(a.csv, account=a.account, merge=a.merge, encoding=encoding)
    how = "合并 merged" if a.merge else "替换 replaced"
    print(f"已导入 {len(positions)} 条持仓 (imported {len(positions)} positions, {how}) into {a.account}")
    return 0


def cmd_account_permissions(svc: Services, a: argparse.Namespace) -> int:
    acc = _risk(svc).accounts.set_permissions(chinext=a.chinext, star=a.star, account=a.account)
    print(f"权限 permissions of {acc.name}: 创业板 ChiNext {'有' if acc.permissions.chinext else '无'}，"
          f"科创板 STAR {'有' if acc.permissions.star else '无'}")
    return 0


def cmd_account_reset_peak(svc: Services, a: argparse.Namespace) -> int:
    _risk(svc).accounts.reset_peak(a.account)
    print(f"已重置峰值 peak reset for {a.account}: 下次检查以当时总值为新峰值 (the next check starts a new peak)")
    return 0


# ---- check -----------------------------------------------------------------------------------------
def cmd_check(svc: Services, a: argparse.Namespace) -> int:
    """One risk pass on the latest quotes; exit 8 when any rule is breached."""
    risk = _risk(svc)
    symbols = risk.watched_symbols(a.account)
    result = risk.check(_quotes(svc, symbols), account=a.account)
    if a.json:
        _dump(result.to_dict())
    else:
        snap = result.snapshot
        if snap is not None:
            print(f"风控检查 risk check {result.checked_at:%Y-%m-%d %H:%M:%S}  账户 {snap.name}  "
                  f"总值 value {snap.total_value:,.2f}  持仓 {len(snap.positions)} 只")
        if not result.statuses:
            print("没有风控规则 (no rules)。添加默认规则: jlq risk rules add --defaults")
        for s in result.statuses:
            print(f"  {_STATE_ZH.get(s.state, s.state)} {s.state:8} #{s.rule_id:<4} {s.kind:17} {s.message}")
        for al in result.alerts:
            print(f"  ⚠ [{al.severity.value}] {al.title}")
    for s in result.errors:
        print(f"错误 error: 规则 #{s.rule_id} {s.kind}: {s.message}", file=sys.stderr)
    return EXIT_BREACH if result.breached else 0


def register(sub: Any) -> None:
    """Add ``jlq risk …`` to the ``jlq`` parser."""
    acct = argparse.ArgumentParser(add_help=False)
    acct.add_argument("--account", default=DEFAULT_ACCOUNT, help="账户名 account name (default: default)")

    rk = sub.add_parser("risk", help="风控 risk rules, the account they watch, and checks (exit 8 on a breach)")
    rs = rk.add_subparsers(dest="risk_cmd", required=True)

    rules = rs.add_parser("rules", help="风控规则 list | types | add | set | remove")
    rus = rules.add_subparsers(dest="rules_cmd", required=True)
    ls = rus.add_parser("list", help="列出规则及上次检查状态 list rules with their last status")
    ls.add_argument("--json", action="store_true", help="JSON 输出 {rules: [Rule]}")
    ls.set_defaults(func=cmd_rules_list)
    ty = rus.add_parser("types", help="规则类型及参数 rule kinds and their parameters")
    ty.add_argument("--json", action="store_true", help="JSON 输出 {types: [...]}")
    ty.set_defaults(func=cmd_rules_types)
    ad = rus.add_parser("add", help="添加规则 add a rule, e.g. `add drawdown --param max_drawdown_pct=10`; "
                                    "百分比参数按百分数填写 (10 = 10 %%)")
    ad.add_argument("kind", nargs="?", help="规则类型 rule kind (jlq risk rules types)")
    ad.add_argument("--param", action="append", metavar="NAME=VALUE", help="参数 parameter (repeatable)")
    ad.add_argument("--name", help="规则名称 display name (default: the kind's label)")
    ad.add_argument("--strategy", help="只检查该策略标签的持仓 only positions tagged with this strategy")
    ad.add_argument("--disabled", action="store_true", help="添加为停用 add disabled")
    ad.add_argument("--defaults", action="store_true",
                    help="添加默认规则集 install the default rules (drawdown 10%%, daily loss 3%%, single weight "
                         "30%%, stop loss 8%%, limit-down, ST, suspended, board permission); existing kinds skipped")
    ad.set_defaults(func=cmd_rules_add)
    st = rus.add_parser("set", help="修改规则 change a rule's params, name, strategy or enabled state")
    st.add_argument("id", help="规则编号 rule id (jlq risk rules list)")
    st.add_argument("--param", action="append", metavar="NAME=VALUE", help="参数 parameter (repeatable; merged)")
    st.add_argument("--name", help="规则名称 display name")
    st.add_argument("--strategy", help="策略标签；空字符串表示全部持仓 strategy tag ('' = all positions)")
    en = st.add_mutually_exclusive_group()
    en.add_argument("--enable", dest="enabled", action="store_const", const=True, help="启用 enable")
    en.add_argument("--disable", dest="enabled", action="store_const", const=False, help="停用 disable")
    st.set_defaults(func=cmd_rules_set, enabled=None)
    rm = rus.add_parser("remove", help="删除规则 remove a rule")
    rm.add_argument("id", help="规则编号 rule id")
    rm.set_defaults(func=cmd_rules_remove)

    account = rs.add_parser("account", help="风控账户 cash, positions, permissions (manual entry or CSV)")
    acs = account.add_subparsers(dest="account_cmd", required=True)
    sh = acs.add_parser("show", parents=[acct], help="账户与持仓估值 the account valued with the latest quotes")
    sh.add_argument("--json", action="store_true", help="JSON 输出 (GET /risk/account shape)")
    sh.set_defaults(func=cmd_account_show)
    sc = acs.add_parser("set-cash", parents=[acct], help="设置现金 set the account's cash (CNY)")
    sc.add_argument("amount", help="现金 cash in CNY, e.g. 100000")
    sc.set_defaults(func=cmd_account_set_cash)
    pa = acs.add_parser("add", parents=[acct], help="添加或替换持仓 add or replace a position")
    pa.add_argument("symbol", help="代码 e.g. 600519.SH or 600519")
    pa.add_argument("quantity", help="数量 shares")
    pa.add_argument("cost", help="成本价 cost price per share (CNY)")
    pa.add_argument("--strategy", help="策略标签 strategy tag")
    pa.add_argument("--opened", help="建仓日期 opened date YYYY-MM-DD")
    pa.set_defaults(func=cmd_account_add)
    pr = acs.add_parser("remove", parents=[acct], help="删除持仓 remove a position")
    pr.add_argument("symbol", help="代码 symbol")
    pr.set_defaults(func=cmd_account_remove)
    im = acs.add_parser("import", parents=[acct],
                        help="从 CSV 导入持仓 import positions: columns 代码/symbol, 数量/quantity, 成本价/cost, "
                             "策略/strategy (optional); all or nothing")
    im.add_argument("csv", help="CSV 文件 file (UTF-8 or GBK)")
    im.add_argument("--merge", action="store_true",
                    help="合并而非替换 add/replace only the file's symbols (default: the file replaces all positions)")
    im.add_argument("--encoding", choices=["auto", "utf-8", "gbk"], default="auto", help="文件编码 encoding")
    im.set_defaults(func=cmd_account_import)
    pm = acs.add_parser("permissions", parents=[acct], help="交易权限 ChiNext / STAR permission flags")
    pm.add_argument("--chinext", action=argparse.BooleanOptionalAction, default=None,
                    help="已开通创业板权限 account may trade ChiNext")
    pm.add_argument("--star", action=argparse.BooleanOptionalAction, default=None,
                    help="已开通科创板权限 account may trade STAR")
    pm.set_defaults(func=cmd_account_permissions)
    rp = acs.add_parser("reset-peak", parents=[acct],
                        help="重置净值峰值 forget the peak (after a withdrawal), for the drawdown rule")
    rp.set_defaults(func=cmd_account_reset_peak)

    ck = rs.add_parser("check", parents=[acct],
                       help="风控检查 one pass on the latest quotes; exit 0 = no breach, 8 = a rule is breached")
    ck.add_argument("--json", action="store_true", help="JSON 输出 CheckResult {checked_at, statuses, alerts}")
    ck.set_defaults(func=cmd_check)


__all__ = ["EXIT_BREACH", "register"]
