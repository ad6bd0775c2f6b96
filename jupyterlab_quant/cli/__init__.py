"""``jlq`` command line (also ``python -m jupyterlab_quant``): a thin adapter over the services.

Typed errors are translated here once: message on stderr, exit code 2 (bad input), 3 (not found),
4 (store busy), 5 (other product error), 1 (unexpected); ``jlq data check`` exits 6 when it finds errors;
``jlq audit verify`` exits 7 when the audit log's hash chain is broken (edited, deleted or truncated records);
``jlq risk check`` exits 8 when a risk rule is breached. Sub-command groups live in this package's modules
(``risk``, ``notify``, ``live``).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator, Sequence

import pandas as pd

from ..app import Services
from ..core.errors import InvalidInput, NotFound, QuantError, StoreBusy
from ..data.ingest import import_files, import_tdx, load_sample
from ..data.sources.csv_files import FORMATS
from ..progress import ProgressBar

EXIT_CODES = ((InvalidInput, 2), (NotFound, 3), (StoreBusy, 4), (QuantError, 5))
BAR_COLUMNS = ["symbol", "date", "open", "high", "low", "close", "volume", "amount", "preclose"]


def _print_frame(df: pd.DataFrame, fmt: str) -> None:
    out = df.copy()
    for c in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[c]):
            is_day = (out[c].dt.normalize() == out[c]).all()
            out[c] = out[c].dt.strftime("%Y-%m-%d" if is_day else "%Y-%m-%d %H:%M:%S")
    if fmt == "json":
        sys.stdout.write(out.to_json(orient="records", force_ascii=False, double_precision=6) + "\n")
    elif fmt == "table":
        with pd.option_context("display.max_rows", 200, "display.width", 160):
            sys.stdout.write(out.to_string(index=False) + "\n")
    else:
        out.to_csv(sys.stdout, index=False, lineterminator="\n")


def cmd_import(svc: Services, a: argparse.Namespace) -> int:
    bar = None if a.quiet else ProgressBar(unit="step")
    report = import_files(svc.store, a.paths, fmt=a.format, kind=a.kind, symbol=a.symbol,
                          encoding=a.encoding, progress=bar.steps if bar else None)
    if bar:
        bar.close()
    print(report.summary())
    return 0


def _split_list(values: list[str] | None) -> list[str] | None:
    """``--symbols 600519.SH,000001.SZ --symbols 300750.SZ`` → one flat list (None when not given)."""
    if not values:
        return None
    return [v.strip() for item in values for v in item.split(",") if v.strip()]


def cmd_import_tdx(svc: Services, a: argparse.Namespace) -> int:
    bar = None if a.quiet else ProgressBar(unit="step")
    report = import_tdx(svc.store, a.vipdoc, symbols=_split_list(a.symbols), freqs=_split_list(a.freq),
                        strict=a.strict, progress=bar.steps if bar else None)
    if bar:
        bar.close()
    print(report.summary())
    if report.skipped:
        print(f"跳过 {len(report.skipped)} 个不导入的文件 (skipped files: bonds, B-shares, sector indices):")
        for line in report.skipped[:20]:
            print(f"  {line}")
        if len(report.skipped) > 20:
            print(f"  … {len(report.skipped) - 20} more")
    for line in report.warnings:
        print(f"警告 warning: {line}", file=sys.stderr)
    return 0


def cmd_bars(svc: Services, a: argparse.Namespace) -> int:
    df = svc.query.bars(a.symbol, a.start, a.end, a.adjust, a.freq)
    tcol = "ts" if "ts" in df.columns else "date"
    if tcol == "ts":
        df = df.rename(columns={"ts": "datetime"})
        cols = ["symbol", "datetime", *BAR_COLUMNS[2:]]
    else:
        cols = list(BAR_COLUMNS)
    cols = [c for c in cols if c in df.columns] + [c for c in df.columns if c not in cols]
    _print_frame(df[cols], a.format)
    return 0


def cmd_symbols(svc: Services, a: argparse.Namespace) -> int:
    if a.refresh:
        report = svc.updater().refresh_stock_list()
        print(report.summary(), file=sys.stderr)
        if report.failures:
            first = next(iter(report.failures.values()))
            return next(code for cls, code in EXIT_CODES if isinstance(first, cls))
    items = svc.query.search(a.query or "", a.kind, a.limit)
    _print_frame(pd.DataFrame(items, columns=["symbol", "name", "kind", "board", "first_date", "last_date"]),
                 a.format)
    return 0


def cmd_sql(svc: Services, a: argparse.Namespace) -> int:
    _print_frame(svc.query.sql(a.query, list(a.param)), a.format)
    return 0


def cmd_info(svc: Services, a: argparse.Namespace) -> int:
    info = {r["dataset"]: r for r in svc.store.info()}
    rows = []
    for name, n, first, last in svc.query.coverage():
        symbols = None
        if n:
            symbols = int(svc.query.sql(f"SELECT count(DISTINCT symbol) n FROM {name}")["n"].iloc[0])
        rows.append({"dataset": name, "rows": n, "symbols": symbols, "first": first, "last": last,
                     "files": info[name]["files"], "size_mb": round(info[name]["bytes"] / 1e6, 2),
                     "version": info[name]["version"]})
    print(f"JLQ_HOME = {svc.settings.home}")
    table = pd.DataFrame(rows)
    table["symbols"] = table["symbols"].astype("Int64")
    _print_frame(table, a.format)
    return 0


def cmd_init_sample(svc: Services, a: argparse.Namespace) -> int:
    results = load_sample(svc.store)
    written = sum(r.partitions_written for r in results)
    print(f"样例数据已就绪 (sample store ready) in {svc.settings.store_dir}: "
          f"{sum(r.rows_in for r in results)} rows, {written} partitions written")
    return 0


def cmd_check(svc: Services, a: argparse.Namespace) -> int:
    """`jlq data check`: data health findings; exit 6 when any finding is an error."""
    import json
    import time

    from ..data.quality import compare_adjusted, run_checks
    from ..data.schema import DAILY_BY_KIND

    t0 = time.perf_counter()
    symbols = _split_list(a.symbols)
    by_kind: dict[str, list[str] | None] = {}
    if symbols:
        for s in symbols:
            inst = svc.query.resolve(s)
            syms = by_kind.setdefault(a.kind or str(inst.get("kind") or "stock"), [])
            assert syms is not None
            syms.append(str(inst["symbol"]))
    else:
        kinds = [a.kind] if a.kind else [k for k, d in DAILY_BY_KIND.items() if svc.store.manifest(d.name).files]
        by_kind = {k: None for k in kinds}
    findings = []
    for kind, syms in by_kind.items():
        findings += run_checks(svc.query, syms, kind, checks=_split_list(a.checks), stale_days=a.stale_days)
    if a.reference:
        from ..data.sources.csv_files import parse_csv

        ref = parse_csv(a.reference).frame
        findings += compare_adjusted(svc.query, ref, a.adjust, source=os.path.basename(a.reference))
    errors = sum(f.severity == "error" for f in findings)
    warnings, seconds, kinds = len(findings) - errors, round(time.perf_counter() - t0, 3), sorted(by_kind)
    if a.json:
        summary = {"errors": errors, "warnings": warnings, "seconds": seconds, "kinds": kinds}
        sys.stdout.write(json.dumps({"summary": summary, "findings": [f.to_dict() for f in findings]},
                                    ensure_ascii=False, indent=1) + "\n")
    else:
        for f in findings:
            print(f"{f.severity.upper():7} {f.check:9} {f.symbol:10} {f.date or '':10}  {f.message}")
            if f.hint:
                print(f"{'':40}→ {f.hint}")
        print(f"数据体检: {errors} 个错误, {warnings} 个警告 ({', '.join(kinds)}; {seconds} s) "
              f"(data check: {errors} errors, {warnings} warnings)")
    return 6 if errors else 0


def cmd_compact(svc: Services, a: argparse.Namespace) -> int:
    done = svc.store.compact(a.dataset)
    removed = svc.store.gc(0 if a.now else 600)
    print(f"compacted partitions: {done}; removed unreferenced files: {removed}")
    return 0


def _free_port(preferred: int) -> int:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", preferred))
            return preferred
        except OSError:
            s.bind(("127.0.0.1", 0))
            return int(s.getsockname()[1])


def cmd_lab(svc: Services, a: argparse.Namespace) -> int:
    if not svc.store.manifest("bars_1d").files:
        load_sample(svc.store)
    token = a.token or os.environ.get("JLQ_TOKEN") or secrets.token_hex(24)
    port = _free_port(a.port)
    scheme = "https" if a.tls else "http"
    url = f"{scheme}://{a.ip}:{port}/lab?token={token}"
    cmd = [sys.executable, "-m", "jupyter", "lab", "--no-browser", f"--ServerApp.ip={a.ip}", f"--port={port}",
           f"--IdentityProvider.token={token}", "--ServerApp.port_retries=0"]
    if a.tls:  # a local CA + server certificate under <home>/tls (made or refreshed for the bind address)
        tls = _ensure_lab_cert(svc.settings.home / "tls", a.ip)
        cmd += [f"--ServerApp.certfile={tls['cert']}", f"--ServerApp.keyfile={tls['key']}"]
        if a.ip in ("0.0.0.0", "::"):
            url = f"https://{_lan_addresses()[0] if _lan_addresses() else 'localhost'}:{port}/lab?token={token}"
        print(f"  TLS: 证书 certificate {tls['cert']}\n  平板信任此 CA (trust this CA on the tablet): {tls['ca']}",
              flush=True)
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")
    if a.feed:
        cmd.append(f"--QuantExtension.quote_feed={a.feed}")
    if a.replay_start:
        cmd.append(f"--QuantExtension.replay_start={a.replay_start}")
    cmd += a.extra
    env = dict(os.environ, JLQ_HOME=str(svc.settings.home))
    board = url.replace("/lab?", "/jupyterlab-quant/dashboards/monitor?", 1)
    print(f"\n  jupyterlab-quant: JupyterLab → {url}\n  看板 dashboards → {board}  (tearsheet, data_health)"
          f"\n  数据目录 (JLQ_HOME): {svc.settings.home}\n", flush=True)
    if a.dry_run:
        print(" ".join(cmd))
        return 0
    return subprocess.call(cmd, env=env)


# ---- session security (会话安全): TLS certificate for LAN/tablet access, TOTP second factor ---------------
TLS_DEFAULT_DAYS = 825  # the longest validity iOS/macOS accept for a TLS server certificate


def _lan_addresses() -> list[str]:
    """The IPv4 address of the interface that routes outward (no packet is sent), if any."""
    with contextlib.suppress(OSError), socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.connect(("192.0.2.1", 9))
        ip = str(s.getsockname()[0])
        return [] if ip.startswith("127.") else [ip]
    return []


def _write_private(path: os.PathLike[str] | str, data: bytes) -> None:
    """Write a secret file readable by its owner only (0600), atomically (temp file + rename)."""
    from pathlib import Path

    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, 0o600)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def make_tls_cert(out: os.PathLike[str] | str, hosts: Sequence[str], days: int = TLS_DEFAULT_DAYS) -> dict[str, str]:
    """A local CA (``jlq-ca.pem``, reused when present) and a server certificate signed by it (``cert.pem``,
    ``key.pem``) whose SANs are ``hosts`` (names and IP addresses). Trust the CA once on each device;
    re-running (new LAN address) keeps the CA. Private keys are written 0600."""
    import datetime as dt
    import ipaddress
    from pathlib import Path

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    if not hosts:
        raise InvalidInput("证书需要至少一个主机名或 IP (no hosts given)", "例如 --hosts 192.168.1.10,localhost")
    if not 1 <= days <= TLS_DEFAULT_DAYS:
        raise InvalidInput(f"有效期 {days} 天无效 (bad --days)", f"1…{TLS_DEFAULT_DAYS} (iOS 拒绝更长的证书)")
    sans: list[x509.GeneralName] = []
    for h in dict.fromkeys(h.strip() for h in hosts if h.strip()):
        try:
            sans.append(x509.IPAddress(ipaddress.ip_address(h.strip("[]"))))
        except ValueError:
            sans.append(x509.DNSName(h))
    out_dir = Path(out)
    ca_pem, ca_key_path = out_dir / "jlq-ca.pem", out_dir / "jlq-ca.key"
    now = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
    pem = serialization.Encoding.PEM
    no_enc = serialization.NoEncryption()
    if ca_pem.exists() and ca_key_path.exists():
        ca_cert = x509.load_pem_x509_certificate(ca_pem.read_bytes())
        ca_key = serialization.load_pem_private_key(ca_key_path.read_bytes(), password=None)
        if not isinstance(ca_key, ec.EllipticCurvePrivateKey):
            raise InvalidInput(f"{ca_key_path} 不是本工具生成的 CA 私钥 (unexpected CA key)", "删除 jlq-ca.* 后重试")
    else:
        ca_key = ec.generate_private_key(ec.SECP256R1())
        ca_cn = f"jupyterlab-quant local CA ({socket.gethostname()})"[:64]
        ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, ca_cn),
                             x509.NameAttribute(NameOID.ORGANIZATION_NAME, "jupyterlab-quant")])
        ca_cert = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name)
                   .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
                   .not_valid_before(now).not_valid_after(now + dt.timedelta(days=3650))
                   .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
                   .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                                content_commitment=False, key_encipherment=False,
                                                data_encipherment=False, key_agreement=False, encipher_only=False,
                                                decipher_only=False), critical=True)
                   .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
                   .sign(ca_key, hashes.SHA256()))
        _write_private(ca_key_path, ca_key.private_bytes(pem, serialization.PrivateFormat.PKCS8, no_enc))
        out_dir.mkdir(parents=True, exist_ok=True)
        ca_pem.write_bytes(ca_cert.public_bytes(pem))
    key = ec.generate_private_key(ec.SECP256R1())
    first = hosts[0].strip()
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, first[:64])]))
            .issuer_name(ca_cert.subject).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now).not_valid_after(now + dt.timedelta(days=days))
            .add_extension(x509.SubjectAlternativeName(sans), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256()))
    _write_private(out_dir / "key.pem", key.private_bytes(pem, serialization.PrivateFormat.PKCS8, no_enc))
    (out_dir / "cert.pem").write_bytes(cert.public_bytes(pem) + ca_cert.public_bytes(pem))  # full chain
    return {"cert": str(out_dir / "cert.pem"), "key": str(out_dir / "key.pem"), "ca": str(ca_pem)}


def _default_cert_hosts(extra: Sequence[str] = ()) -> list[str]:
    host = socket.gethostname()
    return list(dict.fromkeys([*extra, "localhost", "127.0.0.1", "::1", host, f"{host}.local", *_lan_addresses()]))


def _ensure_lab_cert(out: os.PathLike[str] | str, ip: str) -> dict[str, str]:
    """The certificate `jlq lab --tls` serves: made on first use, re-made when it no longer covers the
    bind/LAN address or expires within 30 days (the CA, trusted on the tablet, is kept)."""
    import datetime as dt
    import ipaddress
    from pathlib import Path

    from cryptography import x509

    want = [h for h in [ip] if h not in ("0.0.0.0", "::", "")] + _lan_addresses()
    cert_path = Path(out) / "cert.pem"
    if cert_path.exists() and (Path(out) / "key.pem").exists():
        cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        have = {str(v) for v in san.get_values_for_type(x509.IPAddress)} | set(san.get_values_for_type(x509.DNSName))
        covered = all((str(ipaddress.ip_address(h)) if h.replace(".", "").isdigit() else h) in have for h in want)
        fresh = cert.not_valid_after_utc - dt.datetime.now(dt.UTC) > dt.timedelta(days=30)
        if covered and fresh:
            return {"cert": str(cert_path), "key": str(Path(out) / "key.pem"), "ca": str(Path(out) / "jlq-ca.pem")}
    return make_tls_cert(out, _default_cert_hosts(want))


def cmd_tls_cert(svc: Services, a: argparse.Namespace) -> int:
    out = a.out or str(svc.settings.home / "tls")
    hosts = _split_list(a.hosts) or []
    paths = make_tls_cert(out, _default_cert_hosts(hosts), days=a.days)
    print(f"证书 certificate: {paths['cert']}\n私钥 key (0600): {paths['key']}\n本地 CA: {paths['ca']}")
    print(f"启动 start: jlq lab --tls --ip 0.0.0.0   (或 or: jupyter lab --ServerApp.certfile={paths['cert']} "
          f"--ServerApp.keyfile={paths['key']})")
    print("平板 tablet: 把 jlq-ca.pem 传到平板并信任 (iOS: 安装描述文件后 设置→通用→关于本机→证书信任设置 打开; "
          "Android: 设置→安全→加密与凭据→安装证书→CA 证书) — see README 'Security'")
    return 0


def cmd_totp_setup(svc: Services, a: argparse.Namespace) -> int:
    """`jlq security totp-setup`: a new TOTP secret (0600 file) and its otpauth:// URI for an authenticator app."""
    from pathlib import Path

    import pyotp

    path = Path(os.path.expanduser(a.file)) if a.file else svc.settings.home / "state" / "totp.secret"
    if path.exists() and not a.force:
        raise InvalidInput(f"TOTP 密钥已存在 (a TOTP secret already exists): {path}",
                           "加 --force 生成新密钥 (the old authenticator entry stops working)")
    secret = pyotp.random_base32(32)
    _write_private(path, (secret + "\n").encode("ascii"))
    uri = pyotp.TOTP(secret).provisioning_uri(name=f"{os.environ.get('USER', 'owner')}@{socket.gethostname()}",
                                              issuer_name="jupyterlab-quant")
    print(f"已写入 TOTP 密钥 wrote the TOTP secret (0600): {path}")
    print("在验证器 App 中添加 (add to an authenticator app — Google/Microsoft Authenticator, 1Password…):")
    print(f"  {uri}")
    print(f"  或手动输入密钥 or type the key: {secret}")
    if a.file:
        print(f"服务端配置 server config: c.QuantExtension.totp_secret_file = {str(path)!r}")
    print("注意 note: TOTP 作用于密码登录 (applies to password logins); 设置密码 set one with "
          "`jupyter server password`. 下次登录即生效 (takes effect at the next login).")
    return 0


def _add_security_commands(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    tc = sub.add_parser("tls-cert", help="生成局域网 HTTPS 证书 local CA + certificate for LAN/tablet access")
    tc.add_argument("--out", help="输出目录 output directory (default <home>/tls)")
    tc.add_argument("--hosts", action="append",
                    help="主机名/IP, comma separated (added to localhost, 127.0.0.1, this host and its LAN IP)")
    tc.add_argument("--days", type=int, default=TLS_DEFAULT_DAYS, help=f"有效期 validity days (≤ {TLS_DEFAULT_DAYS})")
    tc.set_defaults(func=cmd_tls_cert)
    se = sub.add_parser("security", help="会话安全 session security: TOTP second factor")
    ses = se.add_subparsers(dest="cmd", required=True)
    ts = ses.add_parser("totp-setup", help="生成 TOTP 密钥 create a TOTP secret; prints the otpauth:// URI")
    ts.add_argument("--file", help="密钥文件 secret file (default <home>/state/totp.secret)")
    ts.add_argument("--force", action="store_true", help="覆盖已有密钥 replace an existing secret")
    ts.set_defaults(func=cmd_totp_setup)


def cmd_update(svc: Services, a: argparse.Namespace) -> int:
    """`jlq data update`: incremental, resumable download through akshare with fail-over."""
    from ..core.types import normalize_symbol, parse_range

    start, end = parse_range(a.start, a.end)
    upd = svc.updater()
    raw_symbols = _split_list(a.symbols) or []
    symbols = raw_symbols if a.kind == "fund" else [normalize_symbol(s) for s in raw_symbols]
    if not symbols and not a.all:
        raise InvalidInput("需要 --symbols 或 --all (no symbols given)", "例如 --symbols 600519.SH,000001.SZ")
    bar = None if a.quiet else ProgressBar()
    try:
        if a.freq == "5m":
            raise InvalidInput("5 分钟线尚无数据集 (no 5-minute dataset yet)", "用 --freq 1m，查询时再聚合为 5 分钟")
        if a.freq == "1m":
            if not symbols:
                raise InvalidInput("分钟线需要 --symbols (minute bars need --symbols)", "例如 --symbols 600519.SH")
            report = upd.update_minute(symbols, progress=bar)
        elif a.all and (a.kind or "stock") == "stock" and start is None and not symbols:
            report = upd.update_snapshot(day=end, progress=bar)
        else:
            if a.all and a.kind == "fund":   # funds are not instruments: every fund already in fund_nav
                symbols = sorted(set(svc.store.read("fund_nav", columns=["symbol"]).column("symbol").to_pylist()))
            elif a.all:
                inst = svc.store.read("instruments", columns=["symbol", "kind"]).to_pandas()
                kind = "stock" if a.kind in (None, "fundamentals") else a.kind
                symbols = sorted(inst.loc[inst["kind"] == kind, "symbol"])
            report = upd.update_daily(symbols, kind=a.kind, start=start, end=end, source=a.source, progress=bar)
    finally:
        if bar:
            bar.close()
    print(report.summary())
    if report.failures:
        first = next(iter(report.failures.values()))
        return next(code for cls, code in EXIT_CODES if isinstance(first, cls))
    return 0


def cmd_calendar(svc: Services, a: argparse.Namespace) -> int:
    """`jlq data calendar [--refresh]`: the trading calendar the update planner uses."""
    upd = svc.updater()
    if a.refresh:
        print(upd.refresh_calendar().summary())
    cal = upd.calendar()
    print(f"交易日历 trading calendar: {len(cal.days)} 天 days, {cal.first} … {cal.last}")
    return 0


def cmd_sources(svc: Services, a: argparse.Namespace) -> int:
    """`jlq data sources`: circuit state, last success/failure and counts per source (any process)."""
    upd = svc.updater()
    rows = pd.DataFrame(upd.fetcher.health_rows())
    _print_frame(rows, a.format)
    if a.log:
        print()
        _print_frame(pd.DataFrame(upd.state.log_rows(a.log)), a.format)
    return 0


def cmd_backtest_run(svc: Services, a: argparse.Namespace) -> int:
    """`jlq backtest run FILE.py ...`: runs in this process, writes --json/--html, prints a summary."""
    from pathlib import Path

    from ..backtest.engine import run_spec
    from ..backtest.options import spec_from_options

    spec = spec_from_options(a, strategy_file=str(Path(a.file).resolve()))
    bar = None if a.quiet else ProgressBar(unit="%")
    with _alarm(spec.timeout_s):
        result = run_spec(spec, svc.query, home=svc.settings.home, progress=bar.fraction if bar else None)
    if bar:
        bar.close()
    if a.json:
        _write_text(a.json, result.to_json())
    if a.html:
        from ..backtest.report import render_html

        _write_text(a.html, render_html(result, lang=a.lang))
    m = result.metrics
    pct = lambda v: "—" if v is None else f"{v:+.2%}"  # noqa: E731
    print(f"期末资产 final value {result.final_value:,.2f}  现金 cash {result.cash:,.2f}")
    print(f"总收益 total {pct(m.get('total_return'))}  年化 annual {pct(m.get('annual_return'))}  "
          f"最大回撤 max DD {pct(m.get('max_drawdown'))}  夏普 Sharpe "
          f"{'—' if m.get('sharpe') is None else format(m['sharpe'], '.2f')}  "
          f"成交 trades {len(result.trades)}  拒单 rejected {len(result.rejections)}")
    return 0


def cmd_backtest_optimize(svc: Services, a: argparse.Namespace) -> int:
    """`jlq backtest optimize FILE.py --grid k=v1,v2 ...`: grid points as Dask tasks, ranked by --metric."""
    from pathlib import Path

    from ..backtest.optimize import SUMMARY_KEYS, optimize, parse_grid
    from ..backtest.options import spec_from_options
    from ..jobs.runner import JobRunner
    from ..jobs.store import JobStore

    spec = spec_from_options(a, strategy_file=str(Path(a.file).resolve()))
    from ..backtest.strategy import read_source

    spec = spec.with_overrides(strategy_source=read_source(spec.strategy_file or ""))
    grid = parse_grid(a.grid or [])
    if not grid:
        raise InvalidInput("需要至少一个 --grid (no grid)", "例如 --grid fast=5,10,20 --grid slow=30:90:30")
    runner = JobRunner(JobStore(svc.settings.home / "state" / "jobs.db"),
                       scheduler_address=a.scheduler or svc.settings.scheduler_address,
                       n_workers=a.workers or svc.settings.backtest_workers)
    bar = None if a.quiet else ProgressBar(unit="%")
    try:
        rows = optimize(spec, grid, client=runner.client(), home=svc.settings.home, metric=a.metric,
                        progress=bar.fraction if bar else None)
    finally:
        if bar:
            bar.close()
        runner.close()
    table = pd.DataFrame([{**{f"param.{k}": v for k, v in r["params"].items() if k in grid},
                           **{k: r.get(k) for k in ("final_value", *SUMMARY_KEYS, "error") if k in r}}
                          for r in rows[: a.top]])
    _print_frame(table, a.format)
    return 0


@contextlib.contextmanager
def _alarm(seconds: float) -> Iterator[None]:
    """Stop a run stuck inside the strategy (e.g. an endless loop in next()) after ``seconds``: SIGALRM
    raises JobTimeout in the main thread. The engine's own between-bar check covers the ordinary case."""
    from ..core.errors import JobTimeout

    def expire(signum: int, frame: object) -> None:
        raise JobTimeout(f"回测超过时间限制 {seconds:.0f} 秒 (backtest timed out)",
                         "检查策略中的死循环，或提高 --timeout")

    if not hasattr(signal, "setitimer"):
        yield
        return
    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds + 1.0)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _write_text(path: str, text: str) -> None:
    from pathlib import Path

    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, target)


def cmd_profiles(svc: Services, a: argparse.Namespace) -> int:
    from ..backtest.profiles import Preset, ProfileStore

    store = ProfileStore(svc.settings.home)
    if a.action == "set":
        if not a.name:
            raise InvalidInput("需要配置名 (profile name required)",
                               "jlq backtest profiles set NAME --commission 0.0002")
        base = next((p for p in store.list() if p.name == a.name), Preset(a.name))
        store.set(Preset(a.name, a.commission if a.commission is not None else base.commission_rate,
                         a.min_commission if a.min_commission is not None else base.min_commission,
                         a.slippage if a.slippage is not None else base.slippage,
                         a.rounding or base.rounding, description=a.description or base.description))
    elif a.action == "remove":
        store.remove(a.name or "")
    _print_frame(pd.DataFrame([p.to_dict() for p in store.list()]), a.format)
    return 0


# ---- strategies (策略库) and the vault key (保险库主密钥) ---------------------------------------------
STRATEGY_COLUMNS = ["name", "versions", "latest", "size", "created", "updated", "deleted", "deleted_at"]
VERSION_COLUMNS = ["version", "created", "size", "message", "restored_from"]


def _read_source(path: str) -> str:
    try:
        with open(path, encoding="utf-8", newline="") as fh:
            return fh.read()
    except OSError as exc:
        raise InvalidInput(f"无法读取策略文件 (cannot read strategy file) {path}: {exc.strerror or exc}",
                           "检查路径 (check the path)") from exc
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"策略文件不是 UTF-8 文本 (strategy file is not UTF-8) {path}: {exc.reason}",
                           "把文件另存为 UTF-8 编码 (save the file as UTF-8)") from exc


def _ensure_vault(svc: Services) -> None:
    """A first `jlq strategy save` on a fresh data root creates the master key (passphrase from env/file/prompt)."""
    if not svc.vault.is_initialized():
        svc.vault.init()
        st = svc.vault.status()
        print(f"已初始化保险库 (vault initialised): mode={st.mode} key={st.kid} → {st.keyinfo}", file=sys.stderr)


def cmd_strategy_save(svc: Services, a: argparse.Namespace) -> int:
    source = _read_source(a.file)
    _ensure_vault(svc)
    before = {s.name: s.latest for s in svc.strategies.list(include_deleted=True)}
    v = svc.strategies.save(a.name, source, a.message or "")
    if before.get(v.name) == v.version:
        print(f"未改变 unchanged: {v.name} 仍是版本 v{v.version} (identical to the latest version)")
    else:
        print(f"已保存 saved: {v.name} v{v.version} ({v.size} bytes)")
    return 0


def cmd_strategy_list(svc: Services, a: argparse.Namespace) -> int:
    rows = [s.to_dict() for s in svc.strategies.list(include_deleted=a.all)]
    _print_frame(pd.DataFrame(rows, columns=STRATEGY_COLUMNS), a.format)
    return 0


def cmd_strategy_show(svc: Services, a: argparse.Namespace) -> int:
    source = svc.strategies.get(a.name, a.version)
    sys.stdout.write(source if source.endswith("\n") or not source else source + "\n")
    return 0


def cmd_strategy_versions(svc: Services, a: argparse.Namespace) -> int:
    rows = [v.to_dict() for v in svc.strategies.versions(a.name)]
    table = pd.DataFrame(rows, columns=VERSION_COLUMNS)
    table["restored_from"] = table["restored_from"].astype("Int64")
    _print_frame(table, a.format)
    return 0


def cmd_strategy_diff(svc: Services, a: argparse.Namespace) -> int:
    text = svc.strategies.diff(a.name, a.v1, a.v2)
    sys.stdout.write(text or f"版本 v{a.v1} 与 v{a.v2} 相同 (identical)\n")
    return 0


def cmd_strategy_restore(svc: Services, a: argparse.Namespace) -> int:
    before = {s.name: s.latest for s in svc.strategies.list(include_deleted=True)}
    v = svc.strategies.restore(a.name, a.version, a.message)
    if before.get(v.name) == v.version:
        print(f"未改变 unchanged: 最新版本 v{v.version} 已与 v{a.version} 相同 (latest already has that content)")
    else:
        print(f"已恢复 restored: {v.name} v{a.version} → 新版本 new version v{v.version}")
    return 0


def cmd_strategy_export(svc: Services, a: argparse.Namespace) -> int:
    target = svc.strategies.export(a.name, a.file, a.version)
    print(f"已导出 exported: {a.name} → {target}")
    return 0


def cmd_strategy_delete(svc: Services, a: argparse.Namespace) -> int:
    svc.strategies.delete(a.name)
    print(f"已删除 deleted: {a.name}（所有版本仍保留，可用 jlq strategy undelete {a.name} 撤销 — versions kept）")
    return 0


def cmd_strategy_undelete(svc: Services, a: argparse.Namespace) -> int:
    info = svc.strategies.undelete(a.name)
    print(f"已撤销删除 undeleted: {info.name} (v{info.latest}, {info.versions} versions)")
    return 0


def cmd_vault_init(svc: Services, a: argparse.Namespace) -> int:
    from ..vault.keys import read_passphrase_file

    passphrase = read_passphrase_file(a.passphrase_file) if a.passphrase_file else None
    svc.vault.init(passphrase, mode=a.mode)
    st = svc.vault.status()
    print(f"已初始化保险库 (vault initialised): mode={st.mode} key={st.kid}\n  key info: {st.keyinfo}")
    if st.mode == "passphrase":
        print("  请牢记口令：忘记口令，加密的策略与成交记录无法恢复 (keep the passphrase safe: without it the "
              "encrypted data cannot be recovered)")
    return 0


def cmd_vault_status(svc: Services, a: argparse.Namespace) -> int:
    st = svc.vault.status().to_dict()
    if st["initialized"]:
        infos = svc.strategies.list(include_deleted=True)
        st.update(strategies=sum(not s.deleted for s in infos), deleted_strategies=sum(s.deleted for s in infos),
                  versions=sum(s.versions for s in infos), trade_records=svc.records.count())
    if a.json:
        sys.stdout.write(json.dumps(st, ensure_ascii=False) + "\n")
    else:
        for k, v in st.items():
            print(f"{k:20} {'—' if v is None else v}")
    return 0


def cmd_vault_rotate(svc: Services, a: argparse.Namespace) -> int:
    import getpass

    from ..vault.keys import check_new_passphrase, read_passphrase_file
    from ..vault.strategies import rotate_master_key

    new_pp = read_passphrase_file(a.new_passphrase_file) if a.new_passphrase_file else None
    if new_pp is None and svc.vault.status().mode == "passphrase" and sys.stdin.isatty():
        new_pp = getpass.getpass("新口令，直接回车则保留原口令 (new passphrase, Enter keeps the current one): ") or None
        if new_pp is not None:
            check_new_passphrase(new_pp)
            if getpass.getpass("再输入一次 (repeat): ") != new_pp:
                raise InvalidInput("两次输入的口令不一致 (passphrases do not match)", "重新运行 jlq vault rotate")
    res = rotate_master_key(svc.vault, new_pp)
    print(f"已轮换主密钥 (master key rotated): {res.old_kid} → {res.new_kid}; 重新包装 re-wrapped {res.rewrapped} "
          f"data keys in {res.seconds:.2f} s (content not re-encrypted)")
    if new_pp is not None:
        print("  旧口令已失效；若设置了 JLQ_VAULT_PASSPHRASE / 口令文件，请改为新口令 (update your env/file)")
    return 0


def _add_strategy_vault_commands(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    st = sub.add_parser("strategy", help="策略库 encrypted, versioned strategies: save | list | show | versions | "
                                         "diff | restore | export | delete | undelete")
    ss = st.add_subparsers(dest="cmd", required=True)
    sv = ss.add_parser("save", help="保存为新版本 save FILE.py as a new version of NAME")
    sv.add_argument("name", help="策略名 strategy name (letters, digits, _ - or Chinese; .py is dropped)")
    sv.add_argument("file", help="策略文件 FILE.py (UTF-8)")
    sv.add_argument("-m", "--message", help="版本说明 version message")
    sv.set_defaults(func=cmd_strategy_save)
    sl = ss.add_parser("list", help="列出策略 list strategies")
    sl.add_argument("--all", action="store_true", help="包括已删除的 include deleted strategies")
    sl.add_argument("--format", choices=["table", "csv", "json"], default="table", help="output format")
    sl.set_defaults(func=cmd_strategy_list)
    sh = ss.add_parser("show", help="打印源码 print the source of a version (default: latest)")
    sh.add_argument("name")
    sh.add_argument("--version", type=int, help="版本号 version number")
    sh.set_defaults(func=cmd_strategy_show)
    vs = ss.add_parser("versions", help="版本历史 version history of NAME")
    vs.add_argument("name")
    vs.add_argument("--format", choices=["table", "csv", "json"], default="table", help="output format")
    vs.set_defaults(func=cmd_strategy_versions)
    df = ss.add_parser("diff", help="比较两个版本 unified diff from V1 to V2")
    df.add_argument("name")
    df.add_argument("v1", type=int)
    df.add_argument("v2", type=int)
    df.set_defaults(func=cmd_strategy_diff)
    rs = ss.add_parser("restore", help="恢复版本 new version with the content of version V")
    rs.add_argument("name")
    rs.add_argument("version", type=int)
    rs.add_argument("-m", "--message", help="版本说明 (default: restored from vV)")
    rs.set_defaults(func=cmd_strategy_restore)
    ex = ss.add_parser("export", help="导出源码 write a version to FILE.py (outside the data root)")
    ex.add_argument("name")
    ex.add_argument("file")
    ex.add_argument("--version", type=int, help="版本号 version number (default: latest)")
    ex.set_defaults(func=cmd_strategy_export)
    de = ss.add_parser("delete", help="删除 soft delete (every version is kept; undo with undelete)")
    de.add_argument("name")
    de.set_defaults(func=cmd_strategy_delete)
    ud = ss.add_parser("undelete", help="撤销删除 bring a deleted strategy back")
    ud.add_argument("name")
    ud.set_defaults(func=cmd_strategy_undelete)

    va = sub.add_parser("vault", help="保险库主密钥 master key: init | status | rotate")
    vas = va.add_subparsers(dest="cmd", required=True)
    vi = vas.add_parser("init", help="创建主密钥 create the master key (keyring, else passphrase via scrypt)")
    vi.add_argument("--passphrase-file", help="口令文件 file holding the passphrase (else JLQ_VAULT_PASSPHRASE, "
                                              "JLQ_VAULT_PASSPHRASE_FILE or a prompt)")
    vi.add_argument("--mode", choices=["auto", "keyring", "passphrase"], default="auto",
                    help="auto = OS keyring when one exists, else passphrase")
    vi.set_defaults(func=cmd_vault_init)
    vt = vas.add_parser("status", help="状态 mode, key id, rotation, counts (needs no passphrase)")
    vt.add_argument("--json", action="store_true", help="machine-readable output")
    vt.set_defaults(func=cmd_vault_status)
    vr = vas.add_parser("rotate", help="轮换主密钥 new master key; data keys re-wrapped, content untouched")
    vr.add_argument("--new-passphrase-file", help="新口令文件 file with the new passphrase (passphrase mode; "
                                                  "default: prompt on a terminal, else keep the passphrase)")
    vr.set_defaults(func=cmd_vault_rotate)


# ---- audit log (审计日志) and encrypted backups (加密备份) ---------------------------------------------
EXIT_AUDIT_BROKEN = 7


def cmd_audit_list(svc: Services, a: argparse.Namespace) -> int:
    from ..vault.audit import AuditLog, records_csv, records_table

    recs = AuditLog.for_home(svc.settings.home).list(since=a.since, action=a.action, limit=a.limit,
                                                     include_archive=a.archived)
    if a.format == "json":
        sys.stdout.write(json.dumps([r.to_dict() for r in recs], ensure_ascii=False) + "\n")
    elif a.format == "csv":
        sys.stdout.write(records_csv(recs))
    else:
        sys.stdout.write(records_table(recs))
    return 0


def cmd_audit_verify(svc: Services, a: argparse.Namespace) -> int:
    from ..vault.audit import AuditLog

    anchor = None
    if a.anchor:
        seq, _, digest = a.anchor.partition(":")
        if not seq.isdigit() or len(digest) != 64:
            raise InvalidInput(f"锚点格式错误 (bad --anchor): {a.anchor!r}",
                               "用 `jlq audit verify` 打印的 SEQ:HASH (use SEQ:HASH as printed by verify)")
        anchor = (int(seq), digest.lower())
    report = AuditLog.for_home(svc.settings.home).verify(anchor=anchor)
    if a.json:
        print(json.dumps(report.to_dict(), ensure_ascii=False))
    else:
        print(report.summary(), file=sys.stdout if report.ok else sys.stderr)
    return 0 if report.ok else EXIT_AUDIT_BROKEN


def cmd_audit_archive(svc: Services, a: argparse.Namespace) -> int:
    from ..vault.audit import AuditLog

    res = AuditLog.for_home(svc.settings.home).archive(older_than_days=a.older_than_days)
    print(f"已归档 archived {res.moved} 条记录 records" + (f" → {', '.join(res.files)}" if res.files else ""))
    return 0


def _backup_password(a: argparse.Namespace, *, confirm: bool) -> str:
    """``--password-file``, else ``$JLQ_BACKUP_PASSWORD``, else a prompt (twice when creating) on a TTY."""
    from ..vault.backup import PASSWORD_HINT

    if a.password_file:
        try:
            with open(a.password_file, encoding="utf-8") as fh:
                pw = fh.readline().rstrip("\r\n")
        except FileNotFoundError as exc:
            raise NotFound(f"密码文件不存在 (password file not found): {a.password_file}", PASSWORD_HINT) from exc
        except (OSError, UnicodeDecodeError) as exc:
            raise InvalidInput(f"无法读取密码文件 (cannot read password file) {a.password_file}: {exc}",
                               PASSWORD_HINT) from exc
        if not pw:
            raise InvalidInput(f"密码文件为空 (password file is empty): {a.password_file}", PASSWORD_HINT)
        return pw
    if os.environ.get("JLQ_BACKUP_PASSWORD"):
        return os.environ["JLQ_BACKUP_PASSWORD"]
    if sys.stdin is not None and sys.stdin.isatty():
        import getpass

        pw = getpass.getpass("备份密码 (backup password): ")
        if confirm and getpass.getpass("再输入一次 (repeat): ") != pw:
            raise InvalidInput("两次输入的密码不一致 (passwords do not match)", "请重新运行 (run the command again)")
        return pw
    raise InvalidInput("需要备份密码 (a backup password is required)", PASSWORD_HINT)


def cmd_backup_create(svc: Services, a: argparse.Namespace) -> int:
    from ..vault.backup import create

    info = create(svc.settings.home, a.out, _backup_password(a, confirm=True), include_reports=a.include_reports)
    print(info.summary())
    return 0


def cmd_backup_verify(svc: Services, a: argparse.Namespace) -> int:
    from ..vault.backup import verify

    info = verify(a.file, _backup_password(a, confirm=False))
    print(f"备份完好 (backup verified): 密码正确，{len(info.files)} 个文件的 sha256 与清单一致 "
          f"(password ok; every file matches the manifest)\n{info.summary()}")
    return 0


def cmd_backup_restore(svc: Services, a: argparse.Namespace) -> int:
    from ..vault.backup import restore

    report = restore(a.file, svc.settings.home, _backup_password(a, confirm=False), force=a.force)
    print(report.summary())
    return 0


def _add_audit_backup_commands(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    au = sub.add_parser("audit", help="审计日志 audit log of sensitive operations: list | verify | archive")
    aus = au.add_subparsers(dest="cmd", required=True)
    al = aus.add_parser("list", help="列出审计记录 list records, newest first")
    al.add_argument("--action", help="动作 action, exact or prefix (login → login, login.failed, login.new_ip)")
    al.add_argument("--since", help="起始时间 YYYY-MM-DD or ISO timestamp (UTC unless it has an offset)")
    al.add_argument("--limit", type=int, default=100, help="max rows (default 100)")
    al.add_argument("--archived", action="store_true", help="也列出归档 include archived records (> 5 years)")
    al.add_argument("--format", choices=["table", "json", "csv"], default="table", help="output format")
    al.set_defaults(func=cmd_audit_list)
    av = aus.add_parser("verify", help="校验哈希链 verify the hash chain (exit 7 when broken)")
    av.add_argument("--anchor", help="SEQ:HASH noted from an earlier verify: detects a rewrite of the whole chain")
    av.add_argument("--json", action="store_true", help="machine-readable output")
    av.set_defaults(func=cmd_audit_verify)
    aa = aus.add_parser("archive", help="归档 move records older than 5 years to state/audit-archive/ (never deletes)")
    aa.add_argument("--older-than-days", type=int, default=5 * 365, help="default 1825 (5 years)")
    aa.set_defaults(func=cmd_audit_archive)

    bk = sub.add_parser("backup", help="加密备份 AES-256 zip backups (7-Zip compatible): create | verify | restore")
    bks = bk.add_subparsers(dest="cmd", required=True)
    pw_help = "密码文件 file whose first line is the password (else $JLQ_BACKUP_PASSWORD, else a prompt)"
    bc = bks.add_parser("create", help="创建备份 vault/, state/*.db, config/ (not the market store/)")
    bc.add_argument("out", help="输出 OUT.zip")
    bc.add_argument("--password-file", help=pw_help)
    bc.add_argument("--include-reports", action="store_true", help="也备份回测报告文件 include backtests/ reports")
    bc.set_defaults(func=cmd_backup_create)
    bv = bks.add_parser("verify", help="校验备份 check password, every file's sha256 and the zip's HMAC/CRC")
    bv.add_argument("file", help="IN.zip")
    bv.add_argument("--password-file", help=pw_help)
    bv.set_defaults(func=cmd_backup_verify)
    br = bks.add_parser("restore", help="恢复备份 into --home (empty or existing; stop JupyterLab first)")
    br.add_argument("file", help="IN.zip")
    br.add_argument("--password-file", help=pw_help)
    br.add_argument("--force", action="store_true", help="覆盖比备份更新的数据 overwrite data newer than the backup")
    br.set_defaults(func=cmd_backup_restore)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="jlq", description="jupyterlab-quant: A 股量化研究工作站命令行 (A-share quant workstation CLI)")
    p.add_argument("--home", help="数据目录 data root (default: $JLQ_HOME or ~/.jlq)")
    sub = p.add_subparsers(dest="group", required=True)

    data = sub.add_parser("data", help="行情数据 market data: import, query, info")
    ds = data.add_subparsers(dest="cmd", required=True)

    imp = ds.add_parser("import", help="导入 CSV (akshare / baostock / generic OHLCV)")
    imp.add_argument("paths", nargs="+", help="CSV files or folders")
    imp.add_argument("--format", choices=FORMATS, default="auto", help="file format (default: detect)")
    imp.add_argument("--kind", choices=["stock", "index", "etf", "futures"],
                     help="instrument kind (default: infer from code)")
    imp.add_argument("--symbol", help="symbol for a single file without a code column, e.g. 600519.SH")
    imp.add_argument("--encoding", help="force a text encoding (default: UTF-8, then GBK)")
    imp.add_argument("--quiet", action="store_true", help="no progress bar")
    imp.set_defaults(func=cmd_import)

    itdx = ds.add_parser("import-tdx", help="导入通达信 vipdoc (.day / .lc1 / .lc5)")
    itdx.add_argument("vipdoc", help="vipdoc folder of 通达信 (or its install folder, or one file)")
    itdx.add_argument("--symbols", action="append", help="only these symbols, comma separated (repeatable)")
    itdx.add_argument("--freq", action="append", help="only these frequencies: 1d,1m,5m (default: all found)")
    itdx.add_argument("--strict", action="store_true", help="refuse truncated files instead of importing "
                                                             "their complete records")
    itdx.add_argument("--quiet", action="store_true", help="no progress bar")
    itdx.set_defaults(func=cmd_import_tdx)

    bars = ds.add_parser("bars", help="K 线 bars of one symbol")
    bars.add_argument("symbol", help="e.g. 600519.SH or 600519")
    bars.add_argument("--start", help="YYYY-MM-DD")
    bars.add_argument("--end", help="YYYY-MM-DD")
    bars.add_argument("--adjust", choices=["none", "qfq", "hfq"], default="none", help="不复权/前复权/后复权")
    bars.add_argument("--freq", choices=["1d", "1m", "5m"], default="1d", help="bar frequency")
    bars.add_argument("--format", choices=["csv", "json", "table"], default="csv", help="output format")
    bars.set_defaults(func=cmd_bars)

    sy = ds.add_parser("symbols", help="代码列表 list/search symbols")
    sy.add_argument("query", nargs="?", help="code prefix or part of the name")
    sy.add_argument("--kind", choices=["stock", "index", "etf", "futures"], help="filter by kind")
    sy.add_argument("--limit", type=int, default=10000, help="max rows")
    sy.add_argument("--format", choices=["csv", "json", "table"], default="table", help="output format")
    sy.add_argument("--refresh", action="store_true",
                    help="先联网刷新 A 股代码表 (names, boards) 与当日 PE/PB (eastmoney snapshot, ~57 requests)")
    sy.set_defaults(func=cmd_symbols)

    sq = ds.add_parser("sql", help="只读 SQL over views bars_1d, index_1d, etf_1d, futures_1d, bars_1m, "
                                   "adj_factors, instruments, valuation_1d")
    sq.add_argument("query", help='e.g. "SELECT * FROM bars_1d WHERE symbol = ? LIMIT 5"')
    sq.add_argument("--param", "-p", action="append", default=[], help="bound parameter for ? (repeatable)")
    sq.add_argument("--format", choices=["csv", "json", "table"], default="table", help="output format")
    sq.set_defaults(func=cmd_sql)

    inf = ds.add_parser("info", help="数据集概况 datasets, rows, date ranges, size on disk")
    inf.add_argument("--format", choices=["csv", "json", "table"], default="table", help="output format")
    inf.set_defaults(func=cmd_info)

    ini = ds.add_parser("init-sample", help="从内置样例准备存储 load the embedded sample into the store")
    ini.set_defaults(func=cmd_init_sample)

    cp = ds.add_parser("compact", help="合并小文件 compact partitions and remove unreferenced files")
    cp.add_argument("--dataset", help="only this dataset")
    cp.add_argument("--now", action="store_true", help="remove unreferenced files without the grace period")
    cp.set_defaults(func=cmd_compact)

    ck = ds.add_parser("check", help="数据体检 data health: OHLC, gaps, duplicates, jumps, stale, units "
                                     "(exit 6 when errors are found)")
    ck.add_argument("--symbols", action="append", help="only these symbols, comma separated (repeatable)")
    ck.add_argument("--kind", choices=["stock", "index", "etf", "futures"], help="one dataset (default: all)")
    ck.add_argument("--checks", action="append", help="subset of duplicate,ohlc,gap,jump,stale,units")
    ck.add_argument("--stale-days", type=int, default=5, help="trading days behind the dataset's latest date "
                                                              "before a symbol is stale (default 5)")
    ck.add_argument("--reference", help="CSV of adjusted closes from another source to cross-check "
                                        "(akshare/baostock/generic: date, close, symbol or code)")
    ck.add_argument("--adjust", choices=["qfq", "hfq"], default="qfq", help="adjustment of --reference")
    ck.add_argument("--json", action="store_true", help="machine-readable output")
    ck.set_defaults(func=cmd_check)

    up = ds.add_parser("update", help="联网增量更新 download missing bars via akshare "
                                      "(eastmoney → sina → tencent fail-over)")
    up.add_argument("--symbols", action="append", help="comma-separated symbols, e.g. 600519.SH,000001.SZ")
    up.add_argument("--all", action="store_true",
                    help="every instrument of --kind; stocks without --start use the whole-market snapshot")
    up.add_argument("--kind", choices=["stock", "index", "etf", "futures", "fund", "fundamentals"],
                    help="instrument kind (default: from the instruments table, else stock); fund = open-end fund "
                         "NAV (codes stored as CODE.OF); fundamentals = Sina 财务指标 of stocks (long format)")
    up.add_argument("--start", help="YYYY-MM-DD; default: continue after stored data (new symbols: 1 year back)")
    up.add_argument("--end", help="YYYY-MM-DD; default: the last closed trading session")
    up.add_argument("--freq", choices=["1d", "1m", "5m"], default="1d", help="bar frequency (1m: last 5 days)")
    up.add_argument("--source", choices=["akshare", "sina", "tencent"], default="akshare",
                    help="akshare = eastmoney first, then Sina, then Tencent on failure; "
                         "sina / tencent = that source only")
    up.add_argument("--quiet", action="store_true", help="no progress bar")
    up.set_defaults(func=cmd_update)

    cal = ds.add_parser("calendar", help="交易日历 trading calendar used by updates (bundled + refreshed)")
    cal.add_argument("--refresh", action="store_true",
                     help="从新浪刷新 merge Sina's trade dates (tool_trade_date_hist_sina) into $JLQ_HOME/state")
    cal.set_defaults(func=cmd_calendar)

    src = ds.add_parser("sources", help="数据源健康 source health: circuit state, last success/failure")
    src.add_argument("--format", choices=["csv", "json", "table"], default="table", help="output format")
    src.add_argument("--log", type=int, default=0, metavar="N", help="also show the last N ingest-log rows")
    src.set_defaults(func=cmd_sources)

    lab = sub.add_parser("lab", help="启动 JupyterLab (what `make run` launches)")
    lab.add_argument("--ip", default="127.0.0.1", help="bind address (default 127.0.0.1)")
    lab.add_argument("--port", type=int, default=8888, help="port (next free one if taken)")
    lab.add_argument("--token", help="auth token (default: random; never runs without one)")
    lab.add_argument("--dry-run", action="store_true", help="print the command instead of running it")
    lab.add_argument("--tls", action="store_true",
                     help="HTTPS with a local certificate (<home>/tls, made by `jlq tls-cert` or on first use)")
    lab.add_argument("--feed", choices=["auto", "live", "replay", "off"],
                     help="行情源 quote feed of the live scheduler (make run: replay, offline)")
    lab.add_argument("--replay-start", help="回放起始日 first replayed date, e.g. 2024-09-20")
    lab.add_argument("extra", nargs=argparse.REMAINDER, help="extra arguments passed to jupyter lab")
    lab.set_defaults(func=cmd_lab)
    _add_security_commands(sub)

    from ..backtest.options import add_spec_options

    bt = sub.add_parser("backtest", help="回测 A-share backtests on Backtrader")
    bs = bt.add_subparsers(dest="cmd", required=True)
    run = bs.add_parser("run", help="运行回测 run a backtrader.Strategy file with A-share rules")
    run.add_argument("file", help="策略文件 .py holding a backtrader.Strategy subclass")
    add_spec_options(run)
    run.add_argument("--json", help="结果 JSON 输出路径 write the result JSON here")
    run.add_argument("--html", help="报告 HTML 输出路径 write the self-contained HTML report here")
    run.add_argument("--lang", default="zh", choices=["zh", "en"], help="报告语言 report language")
    run.add_argument("--quiet", action="store_true", help="不显示进度条 no progress bar")
    run.set_defaults(func=cmd_backtest_run)

    opt = bs.add_parser("optimize", help="参数优化 grid search of strategy params on Dask, ranked by a metric")
    opt.add_argument("file", help="策略文件 .py holding a backtrader.Strategy subclass")
    add_spec_options(opt)
    opt.add_argument("--grid", action="append", help="参数网格 k=v1,v2,v3 or k=start:stop:step (repeatable)")
    opt.add_argument("--metric", default="sharpe", help="排序指标 rank by: sharpe, total_return, max_drawdown, …")
    opt.add_argument("--top", type=int, default=20, help="显示前 N 个 show the best N rows")
    opt.add_argument("--workers", type=int, help="本地 Dask 进程数 local worker processes")
    opt.add_argument("--scheduler", help="远程 Dask 调度器 address of a remote scheduler (tcp://host:8786)")
    opt.add_argument("--format", choices=["table", "csv", "json"], default="table", help="输出格式")
    opt.add_argument("--quiet", action="store_true", help="不显示进度条 no progress bar")
    opt.set_defaults(func=cmd_backtest_optimize)

    pf = bs.add_parser("profiles", help="券商费率配置 broker profiles: list | set NAME | remove NAME")
    pf.add_argument("action", nargs="?", default="list", choices=["list", "set", "remove"])
    pf.add_argument("name", nargs="?", help="配置名 profile name")
    pf.add_argument("--commission", type=float, help="佣金率 commission rate, e.g. 0.00025")
    pf.add_argument("--min-commission", type=float, help="最低佣金 CNY")
    pf.add_argument("--slippage", type=float, help="滑点 fraction")
    pf.add_argument("--rounding", choices=["half_up", "half_even", "up", "down"], help="费用取整 fee rounding")
    pf.add_argument("--description", help="说明 description")
    pf.add_argument("--format", choices=["table", "csv", "json"], default="table", help="输出格式")
    pf.set_defaults(func=cmd_profiles)
    _add_strategy_vault_commands(sub)
    _add_audit_backup_commands(sub)
    from . import dashboards, live, notify, risk

    for module in (risk, notify, live, dashboards):
        module.register(sub)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from ..core.settings import Settings

    svc = Services.from_settings(Settings.from_env(args.home))
    try:
        return int(args.func(svc, args))
    except QuantError as exc:
        print(f"错误 error: {exc.message}", file=sys.stderr)
        if exc.hint:
            print(f"提示 hint: {exc.hint}", file=sys.stderr)
        if getattr(exc, "traceback", ""):
            print(exc.traceback.rstrip(), file=sys.stderr)  # type: ignore[attr-defined]
        return next(code for cls, code in EXIT_CODES if isinstance(exc, cls))
    except BrokenPipeError:
        return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
