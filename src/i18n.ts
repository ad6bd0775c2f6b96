/**
 * Chinese-first translations.
 *
 * The source is written in English and every user-facing string goes
 * through `trans.__()`. JupyterLab has no language pack for our domain, so
 * the zh-CN catalogue lives here; it is used when the `language` setting is
 * "zh", or "auto" and JupyterLab itself runs in a zh locale.
 */
import type { TranslationBundle } from '@jupyterlab/translation';

/** Gettext domain of this extension. */
export const I18N_DOMAIN = 'jupyterlab_quant';

/** Value of the `language` setting. */
export type LanguageSetting = 'auto' | 'zh' | 'en';

/** Language actually shown. */
export type UiLanguage = 'zh' | 'en';

/** The translation interface used across the frontend. */
export interface ITrans {
  readonly language: UiLanguage;
  /** Translate `msgid`, substituting `%1`, `%2`, … with `args`. */
  __(msgid: string, ...args: unknown[]): string;
}

/** zh-CN catalogue, keyed by the English source string. */
export const ZH_CN: Readonly<Record<string, string>> = {
  Quant: '量化',
  'Market data': '行情',
  'Market data · %1': '行情 · %1',
  'Open the market data panel (K-line, volume, moving averages)':
    '打开行情面板（K 线、成交量、均线）',
  'Search code or name': '搜索代码或名称',
  'Symbol search': '代码搜索',
  'Searching…': '搜索中…',
  'No symbol matches “%1”.': '没有匹配“%1”的代码。',
  'Press Enter to try “%1” directly.': '按回车直接尝试“%1”。',
  'Type a code (600519) or a name (茅台) to show its K-line.':
    '输入代码（如 600519）或名称（如 茅台）查看 K 线。',
  'Loading %1…': '正在加载 %1…',
  '%1: %2 rows, %3 to %4': '%1：%2 行，%3 至 %4',
  Adjust: '复权',
  Frequency: '周期',
  Unadjusted: '不复权',
  'Forward adjusted': '前复权',
  'Backward adjusted': '后复权',
  Daily: '日线',
  '1 minute': '1分钟',
  '5 minutes': '5分钟',
  'K-line': 'K线',
  Volume: '成交量',
  Amount: '成交额',
  Change: '涨跌幅',
  Suspended: '停牌',
  Open: '开',
  High: '高',
  Low: '低',
  Close: '收',
  Stock: '股票',
  Index: '指数',
  ETF: 'ETF',
  Futures: '期货',
  '%1 bars': '%1 根',
  '%1 to %2': '%1 至 %2',
  'each bar merges %1 bars, zoom in for full detail':
    '每根合并 %1 根，放大查看明细',
  'full detail': '明细',
  'Merged from %1 bars': '由 %1 根合并',
  'Loading detail…': '正在加载明细…',
  Retry: '重试',
  'What to do: %1': '处理建议：%1',
  'The jupyterlab-quant server extension did not answer (HTTP 404).':
    'jupyterlab-quant 服务端扩展没有响应（HTTP 404）。',
  'Check that `jupyter server extension list` shows jupyterlab_quant enabled, then restart JupyterLab.':
    '请确认 `jupyter server extension list` 中 jupyterlab_quant 已启用，然后重启 JupyterLab。',
  'Cannot reach the Jupyter server.': '无法连接 Jupyter 服务器。',
  'Check that JupyterLab is still running.': '请确认 JupyterLab 仍在运行。',
  'The server answered with something that is not JSON.':
    '服务器返回的不是 JSON。',
  'Server error (HTTP %1).': '服务器错误（HTTP %1）。',
  'No bars to show for %1.': '%1 没有可显示的K线。',
  // Data sources, updates and checks
  'Data sources': '数据源',
  'Data source health': '数据源状态',
  'Data source health: click for details': '数据源状态：点击查看详情',
  'Not used yet': '未使用',
  OK: '正常',
  Degraded: '部分故障',
  Down: '不可用',
  Normal: '正常',
  'Circuit open': '熔断',
  'Half open': '半开',
  'Eastmoney (eastmoney)': '东方财富 eastmoney',
  'Sina (sina)': '新浪 sina',
  'Tencent (tencent)': '腾讯 tencent',
  Source: '数据源',
  'Circuit breaker': '熔断器',
  Successes: '成功',
  Failures: '失败',
  'Last success': '最近成功',
  'Last failure': '最近失败',
  'Last error': '最近错误',
  'retry in %1 s': '%1 秒后重试',
  '%1 failures in a row': '连续失败 %1 次',
  Refresh: '刷新',
  Dismiss: '关闭',
  Error: '错误',
  Warning: '警告',
  'Update data': '更新数据',
  'Updating…': '更新中…',
  'Fetch the missing bars of %1 from the data sources':
    '从数据源抓取 %1 缺失的K线',
  'Pick a symbol first': '请先选择代码',
  'Starting the update…': '正在启动更新…',
  'Planning…': '正在规划…',
  '%1 / %2 symbols': '%1 / %2 个代码',
  'fetching %1': '正在抓取 %1',
  'Updating: %1': '更新中：%1',
  'Update finished': '更新完成',
  'Update finished; failed: %1': '更新结束；失败：%1',
  'Update failed': '更新失败',
  'Update progress': '更新进度',
  'about %1 s left': '剩余约 %1 秒',
  'about %1 min %2 s left': '剩余约 %1 分 %2 秒',
  'about %1 h %2 min left': '剩余约 %1 小时 %2 分',
  'Data check': '数据检查',
  'Checking…': '检查中…',
  'Check the stored bars of the symbol for problems': '检查本地K线数据的问题',
  'Data check · %1': '数据检查 · %1',
  '%1: %2 errors, %3 warnings': '%1：%2 个错误，%3 个警告',
  'No problems found.': '未发现问题。',
  Severity: '级别',
  Date: '日期',
  Check: '检查项',
  Message: '说明'
};

/**
 * Pick the UI language from the setting and JupyterLab's language code
 * (e.g. `zh-CN`, `zh_CN`, `en`).
 */
export function resolveLanguage(
  setting: LanguageSetting | string | null | undefined,
  labLanguageCode: string | null | undefined
): UiLanguage {
  if (setting === 'zh' || setting === 'en') {
    return setting;
  }
  const code = (labLanguageCode ?? '').toLowerCase();
  return code.startsWith('zh') ? 'zh' : 'en';
}

/** Replace `%1`, `%2`, … in `message` with the matching argument. */
export function formatMessage(message: string, args: unknown[]): string {
  return message.replace(/%(\d+)/g, (match, index: string) => {
    const i = Number(index) - 1;
    return i >= 0 && i < args.length ? String(args[i]) : match;
  });
}

/**
 * Create the translator for the chosen language.
 *
 * @param language - language to show
 * @param labBundle - JupyterLab's bundle for our domain (used for English
 *   and for any string missing from the catalogue)
 * @param catalogue - zh-CN catalogue (injectable for tests)
 */
export function createTrans(
  language: UiLanguage,
  labBundle: Pick<TranslationBundle, '__'> | null,
  catalogue: Readonly<Record<string, string>> = ZH_CN
): ITrans {
  const fallback = (msgid: string, args: unknown[]): string =>
    labBundle
      ? labBundle.__(msgid, ...(args as string[]))
      : formatMessage(msgid, args);
  return {
    language,
    __(msgid: string, ...args: unknown[]): string {
      if (language === 'zh') {
        const translated = catalogue[msgid];
        if (translated !== undefined) {
          return formatMessage(translated, args);
        }
      }
      return fallback(msgid, args);
    }
  };
}
