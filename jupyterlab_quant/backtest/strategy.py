"""Loading the user's strategy (策略) from source: a plain ``backtrader.Strategy`` subclass.

The source is compiled under its file name so tracebacks point at the user's lines; errors become
:class:`StrategyError` carrying only the user's frames. Params from the CLI/REST (strings) are
coerced to the type of the strategy's declared default; unknown names are an error.
"""

from __future__ import annotations

import ast
import hashlib
import sys
import traceback
import types
from pathlib import Path
from typing import Any

import backtrader as bt

from ..core.errors import InvalidInput, StrategyError


def read_source(path: str | Path) -> str:
    p = Path(path)
    try:
        return p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InvalidInput(f"找不到策略文件 (strategy file not found): {p}",
                           "检查路径；文件应包含 backtrader.Strategy 子类") from None
    except (UnicodeDecodeError, OSError) as exc:
        raise InvalidInput(f"无法读取策略文件 (cannot read strategy file) {p}: {exc}", "请保存为 UTF-8 文本") from exc


def user_traceback(exc: BaseException, filename: str) -> str:
    """Traceback text restricted to frames of the user's file (plus the exception line)."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename == filename]
    if not frames:  # raised inside Backtrader/our code: show everything, it is needed to diagnose
        return "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    lines = ["Traceback (most recent call last):\n", *traceback.format_list(frames)]
    return "".join(lines + traceback.format_exception_only(type(exc), exc))


def load_strategy(source: str, filename: str = "<strategy>", class_name: str | None = None) -> type[bt.Strategy]:
    """Execute ``source`` as a fresh module and return the chosen Strategy subclass."""
    modname = "jlq_strategy_" + hashlib.sha1(source.encode()).hexdigest()[:12]
    try:
        code = compile(source, filename, "exec")
    except SyntaxError as exc:
        raise StrategyError(f"策略文件语法错误 (syntax error) {filename}:{exc.lineno}: {exc.msg}",
                            "修正该行后重试", "".join(traceback.format_exception_only(type(exc), exc))) from None
    module = types.ModuleType(modname)
    module.__file__ = filename
    sys.modules[modname] = module  # Backtrader's metaclasses look classes' modules up here
    try:
        exec(code, module.__dict__)  # running the user's own strategy is the product
    except Exception as exc:
        sys.modules.pop(modname, None)
        raise StrategyError(f"加载策略时出错 (error while loading strategy) {filename}: {type(exc).__name__}: {exc}",
                            "检查文件顶层代码和 import", user_traceback(exc, filename)) from None
    found = {name: obj for name, obj in vars(module).items()
             if isinstance(obj, type) and issubclass(obj, bt.Strategy) and obj.__module__ == modname}
    if class_name:
        if class_name not in found:
            raise StrategyError(f"{filename} 中没有策略类 {class_name!r} (strategy class not found)",
                                f"可用的类: {', '.join(found) or '无'}")
        return found[class_name]
    if not found:
        raise StrategyError(f"{filename} 中没有 backtrader.Strategy 子类 (no Strategy class)",
                            "定义 class MyStrategy(bt.Strategy): ... 并实现 next()")
    if len(found) > 1:
        raise StrategyError(f"{filename} 中有多个策略类: {', '.join(found)} (several Strategy classes)",
                            "指定其中一个: CLI --strategy NAME, REST strategy_class, 或 API strategy_class=")
    return next(iter(found.values()))


def _coerce(name: str, value: Any, default: Any) -> Any:
    if not isinstance(value, str) or isinstance(default, str):
        return value
    try:
        if isinstance(default, bool):
            if value.lower() in ("1", "true", "yes", "on"):
                return True
            if value.lower() in ("0", "false", "no", "off"):
                return False
            raise ValueError(value)
        if isinstance(default, int):
            return int(value)
        if isinstance(default, float):
            return float(value)
        return ast.literal_eval(value)
    except (ValueError, SyntaxError):
        if default is None:
            return value
        raise InvalidInput(f"参数 {name}={value!r} 无法转换为 {type(default).__name__} (bad param value)",
                           f"默认值是 {default!r}") from None


def resolve_params(cls: type[bt.Strategy], params: dict[str, Any]) -> dict[str, Any]:
    """Validate and coerce ``params`` against the strategy's declared params."""
    keys = list(cls.params._getkeys())
    defaults = dict(zip(keys, cls.params._getdefaults(), strict=False))
    unknown = sorted(set(params) - set(keys))
    if unknown:
        raise InvalidInput(f"策略 {cls.__name__} 没有参数 {', '.join(unknown)} (unknown strategy params)",
                           f"可用参数: {', '.join(keys) or '无'}")
    return {k: _coerce(k, v, defaults.get(k)) for k, v in params.items()}
