"""`jlq notify …` commands (微信提醒): channels | set | test | log | alerts | flush | settings.

Secrets are read from a prompt (terminal) or ``--secret-stdin`` (one value per line, in the order of the
``--secret`` flags) — never from the command line, where they would land in the shell history.
``jlq notify test`` exits 5 with the reason when the message was not delivered.
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..core.errors import InvalidInput

if TYPE_CHECKING:
    from ..app import Services
    from ..notify.center import NotificationCenter
    from ..vault.keys import KeyManager

EXIT_NOT_DELIVERED = 5
STATUSES = ("pending", "sent", "retrying", "failed", "suppressed", "quiet", "digested", "deduped")


def make_center(home: Path | str, keys: KeyManager) -> NotificationCenter:
    """The notification centre of a data root: secrets from ``JLQ_SECRET_*`` first, then the vault."""
    from ..notify.center import NotificationCenter
    from ..vault.secrets import secret_source

    return NotificationCenter(home, secret_source(home, keys))


def _center(svc: Services) -> NotificationCenter:
    return svc.notify


def _dump(obj: Any) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False, indent=1) + "\n")


def _yes(v: bool) -> str:
    return "是 yes" if v else "否 no"


def cmd_channels(svc: Services, a: argparse.Namespace) -> int:
    chans = _center(svc).channels()
    if a.json:
        _dump({"channels": chans})
        return 0
    for c in chans:
        state = "启用 enabled" if c["enabled"] else "停用 disabled"
        conf = "已配置 configured" if c["configured"] else f"缺少 missing: {', '.join(c['missing'])}"
        print(f"{c['name']:17} {c['label']['zh']} ({c['label']['en']})")
        print(f"  {state}; {conf}; 今日已发 sent today {c['sent_today']}; 待汇总 held {c['held']}")
        print(f"  限额 limit: {c['rate_limit']}")
        if c["paused_until"]:
            print(f"  暂停至 paused until {c['paused_until']}: {c['paused_reason']}")
        print(f"  地址 base_url: {c['base_url']}")
        print(f"  选项 options: {json.dumps(c['options'], ensure_ascii=False)}")
        env = f" (env: {', '.join(c['secrets_env'])})" if c["secrets_env"] else ""
        print(f"  密钥 secrets: {', '.join(c['secrets_set']) or '—'} / {', '.join(c['secret_fields'])}{env}")
        if c["secret_error"]:
            print(f"  密钥读取失败 secret error: {c['secret_error']}")
    return 0


def _parse_options(items: list[str] | None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item in items or []:
        if "=" not in item:
            raise InvalidInput(f"选项格式应为 KEY=VALUE (option must be KEY=VALUE): {item!r}",
                               "例如 --option msgtype=text；KEY= 恢复默认 (KEY= restores the default)")
        k, v = item.split("=", 1)
        out[k.strip()] = v
    return out


def _read_secrets(fields: list[str] | None, from_stdin: bool) -> dict[str, str | None]:
    fields = list(dict.fromkeys(fields or []))
    if not fields:
        if from_stdin:
            raise InvalidInput("--secret-stdin 需要配合 --secret FIELD (name the field with --secret)", "")
        return {}
    if from_stdin:
        lines = sys.stdin.read().splitlines()
        if len(lines) < len(fields):
            raise InvalidInput(f"标准输入只有 {len(lines)} 行，需要 {len(fields)} 个密钥 (stdin has too few lines)",
                               "每行一个值，顺序与 --secret 相同 (one value per line, in --secret order)")
        return {f: lines[i].strip() for i, f in enumerate(fields)}
    if not sys.stdin.isatty():
        raise InvalidInput("没有终端可输入密钥 (no terminal to prompt for the secret)",
                           "用 --secret-stdin 从标准输入读取，例如 printf '%s\\n' \"$KEY\" | jlq notify set wecom "
                           "--secret key --secret-stdin")
    return {f: getpass.getpass(f"{f} (输入不回显 hidden input): ") for f in fields}


def cmd_set(svc: Services, a: argparse.Namespace) -> int:
    center = _center(svc)
    secrets: dict[str, str | None] = _read_secrets(a.secret, a.secret_stdin)
    for f in a.clear_secret or []:
        secrets[f] = None
    enabled = True if a.enable else False if a.disable else None
    ch = center.configure(a.channel, enabled=enabled, options=_parse_options(a.option), secrets=secrets)
    print(f"已保存 saved: {ch['name']} — {'启用 enabled' if ch['enabled'] else '停用 disabled'}, "
          f"{'已配置 configured' if ch['configured'] else '缺少 missing: ' + ', '.join(ch['missing'])}")
    if secrets:
        print(f"  密钥已加密保存 secrets stored encrypted: {', '.join(f for f, v in secrets.items() if v)}"
              + (f"; 已删除 removed: {', '.join(f for f, v in secrets.items() if not v)}"
                 if any(not v for v in secrets.values()) else ""))
    if ch["enabled"] and not ch["configured"]:
        print(f"  提示 hint: 渠道已启用但未配置完整，提醒会记录为失败 (enabled but incomplete): "
              f"{', '.join(ch['missing'])}", file=sys.stderr)
    return 0


def cmd_test(svc: Services, a: argparse.Namespace) -> int:
    d = _center(svc).test(a.channel)
    if d.status == "sent":
        print(f"已发送测试消息 test message sent: {d.channel} (delivery {d.id}, attempts {d.attempts})")
        return 0
    print(f"错误 error: 测试消息未送达 (test message not delivered) on {d.channel}: {d.status} — {d.error}",
          file=sys.stderr)
    return EXIT_NOT_DELIVERED


def cmd_log(svc: Services, a: argparse.Namespace) -> int:
    rows = _center(svc).log(a.limit, a.status, a.channel)
    if a.json:
        _dump({"deliveries": rows})
        return 0
    if not rows:
        print("没有记录 (no deliveries)")
        return 0
    for r in rows:
        err = f"  ← {r['error_code']}: {r['error']}" if r["error"] else ""
        print(f"{r['id']:>6} {r['created']} {r['channel']:16} {r['kind']:6} {r['status']:10} x{r['attempts']} "
              f"{r['title']}{err}")
    return 0


def cmd_alerts(svc: Services, a: argparse.Namespace) -> int:
    rows = _center(svc).alerts(a.limit)
    if a.json:
        _dump({"alerts": rows})
        return 0
    for r in rows:
        ds = ", ".join(f"{d['channel']}={d['status']}" for d in r["deliveries"]) or "—"
        print(f"{r['time']} [{r['severity']}] {r['title']}  ({r['key']})  {ds}")
    return 0


def cmd_flush(svc: Services, a: argparse.Namespace) -> int:
    stats = _center(svc).flush()
    if a.json:
        _dump(stats)
    else:
        print(f"重试 retried {stats['retried']}, 汇总 digests {stats['digests']} (覆盖 covering {stats['digested']} "
              f"alerts), 送达 sent {stats['sent']}, 失败 failed {stats['failed']}")
    return 0


def cmd_settings(svc: Services, a: argparse.Namespace) -> int:
    center = _center(svc)
    settings = center.configure_global(_parse_options(a.set)) if a.set else center.settings()
    if a.json:
        _dump(settings)
    else:
        for k, v in settings.items():
            print(f"{k:16} {json.dumps(v, ensure_ascii=False) if v is not None else '—'}")
    return 0


def register(sub: Any) -> None:
    """Add ``jlq notify`` to the ``jlq`` parser."""
    from ..notify.channels import SPECS

    names = list(SPECS)
    no = sub.add_parser("notify", help="微信提醒 WeChat alerts: channels | set | test | log | alerts | flush | "
                                       "settings")
    ns = no.add_subparsers(dest="cmd", required=True)

    ch = ns.add_parser("channels", help="渠道列表 channels, limits, what is configured")
    ch.add_argument("--json", action="store_true", help="machine-readable output")
    ch.set_defaults(func=cmd_channels)

    st = ns.add_parser("set", help="配置渠道 enable/disable, options, secrets (secrets stored encrypted in the vault)")
    st.add_argument("channel", choices=names, help="渠道 channel")
    onoff = st.add_mutually_exclusive_group()
    onoff.add_argument("--enable", action="store_true", help="启用 enable")
    onoff.add_argument("--disable", action="store_true", help="停用 disable")
    st.add_argument("--option", action="append", metavar="KEY=VALUE",
                    help="选项 option (repeatable), e.g. msgtype=text, mentioned_list=a,b, base_url=http://…, "
                         "fields='{\"thing1\":\"title\"}'; KEY= restores the default")
    st.add_argument("--secret", action="append", metavar="FIELD",
                    help="设置密钥字段 set a secret field (key, sendkey, token, appsecret); value from a hidden "
                         "prompt or --secret-stdin, never from the command line")
    st.add_argument("--secret-stdin", action="store_true", help="从标准输入读取密钥，每行一个 (one per line)")
    st.add_argument("--clear-secret", action="append", metavar="FIELD", help="删除密钥字段 remove a secret field")
    st.set_defaults(func=cmd_set)

    te = ns.add_parser("test", help="发送测试消息 send a test message (exit 5 with the reason when not delivered)")
    te.add_argument("--channel", required=True, choices=names, help="渠道 channel")
    te.set_defaults(func=cmd_test)

    lg = ns.add_parser("log", help="投递记录 delivery log (通知中心), newest first")
    lg.add_argument("--limit", type=int, default=50, help="行数 rows (default 50)")
    lg.add_argument("--status", choices=STATUSES, help="只看该状态 only this status")
    lg.add_argument("--channel", choices=names, help="只看该渠道 only this channel")
    lg.add_argument("--json", action="store_true", help="machine-readable output")
    lg.set_defaults(func=cmd_log)

    al = ns.add_parser("alerts", help="提醒记录 alerts with their deliveries, newest first")
    al.add_argument("--limit", type=int, default=50, help="行数 rows (default 50)")
    al.add_argument("--json", action="store_true", help="machine-readable output")
    al.set_defaults(func=cmd_alerts)

    fl = ns.add_parser("flush", help="发送到期的重试与汇总 send due retries and digests of held alerts")
    fl.add_argument("--json", action="store_true", help="machine-readable output")
    fl.set_defaults(func=cmd_flush)

    se = ns.add_parser("settings", help="全局设置 quiet hours, dedupe window, digest, retries, timeouts")
    se.add_argument("--set", action="append", metavar="KEY=VALUE",
                    help="例如 quiet_hours=22:00-07:30 (off disables), dedupe_window_s=1800, digest.delay_s=60, "
                         "retry.max_attempts=5, timeout.read=10")
    se.add_argument("--json", action="store_true", help="machine-readable output")
    se.set_defaults(func=cmd_settings)
