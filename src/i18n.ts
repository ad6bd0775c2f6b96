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
  'No bars to show for %1.': '%1 没有可显示的K线。'
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
