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
  Message: '说明',
  // Backtests (回测): src/panels/backtest/
  Backtests: '回测',
  'Open Backtests': '打开回测',
  'Open the backtest panel: run a strategy on A-share history, follow the jobs, open reports':
    '打开回测面板：用 A 股历史数据运行策略、跟踪任务、查看报告',
  'Backtest report': '回测报告',
  'Backtest report · %1': '回测报告 · %1',
  'Open the HTML report of a backtest': '打开回测的 HTML 报告',
  'New backtest': '新建回测',
  'Strategy file': '策略文件',
  'Strategy class': '策略类',
  'Loading strategies…': '正在查找策略…',
  '— pick a strategy file —': '— 选择策略文件 —',
  'Look for strategy files again': '重新查找策略文件',
  'No strategy found: save a .py file with a backtrader.Strategy subclass under the Jupyter root, then click ⟳.':
    '没有找到策略：请在 Jupyter 根目录下保存含 backtrader.Strategy 子类的 .py 文件，然后点击 ⟳。',
  '(the first one in the file)': '（文件中的第一个）',
  'Another file (type its path)…': '其他文件（输入路径）…',
  'Path of the strategy file': '策略文件路径',
  'Enter the path of the strategy file, relative to the Jupyter root.':
    '请输入策略文件路径（相对 Jupyter 根目录）。',
  '%1 must be JSON, like its default %2.': '%1 必须是 JSON，格式同默认值 %2。',
  Parameters: '策略参数',
  Symbols: '代码',
  'Start date': '开始日期',
  'End date': '结束日期',
  'Starting cash (yuan)': '初始资金（元）',
  Benchmark: '基准',
  'Leave empty for no benchmark': '留空表示不使用基准',
  'e.g. %1': '例如 %1',
  none: '无',
  'Broker profile': '券商费率',
  '%1 (custom)': '%1（自定义）',
  'commission %1, minimum %2 yuan, slippage %3': '佣金 %1，最低 %2 元，滑点 %3',
  'Label (optional)': '备注（可选）',
  'Submit backtest': '提交回测',
  'Submitting…': '提交中…',
  'Pick a strategy file (a .py file with a backtrader.Strategy subclass).':
    '请选择策略文件（含 backtrader.Strategy 子类的 .py 文件）。',
  'Enter at least one symbol, e.g. 600519.SH.':
    '请至少输入一个代码，例如 600519.SH。',
  'Not a symbol: %1. Use CODE.SH, CODE.SZ or CODE.BJ, e.g. 600519.SH.':
    '代码格式不对：%1。请用 代码.SH、代码.SZ 或 代码.BJ，例如 600519.SH。',
  'Enter a start date (YYYY-MM-DD).': '请输入开始日期（YYYY-MM-DD）。',
  'Enter an end date (YYYY-MM-DD).': '请输入结束日期（YYYY-MM-DD）。',
  'The end date %1 is before the start date %2.':
    '结束日期 %1 早于开始日期 %2。',
  'Starting cash must be a positive number of yuan.':
    '初始资金必须是正数（元）。',
  '%1 must be a number.': '%1 必须是数字。',
  'Backtest jobs': '回测任务',
  '%1 of %2': '%1 / 共 %2',
  'Show archived': '显示已归档',
  'Loading jobs…': '正在加载任务…',
  'No backtests yet: fill in the form and submit one.':
    '还没有回测：填写表单并提交一个。',
  Queued: '排队中',
  Running: '运行中',
  Done: '已完成',
  Failed: '失败',
  Cancelled: '已取消',
  Cancel: '取消',
  'Cancelling…': '取消中…',
  'Open report': '打开报告',
  Tearsheet: '平板报告',
  'Open the tablet tearsheet (Voila) in a new tab':
    '在新标签页打开平板版回测报告（Voila 看板）',
  'Inline strategy': '内联策略',
  Submitted: '提交时间',
  '%1 s': '%1 秒',
  'attempt %1': '第 %1 次尝试',
  'Backtest progress': '回测进度',
  'Waiting for a worker…': '等待计算资源…',
  'Total return': '总收益',
  'Annual return': '年化收益',
  Sharpe: '夏普比率',
  'Max drawdown': '最大回撤',
  'Final value': '期末资产',
  Trades: '交易笔数',
  Traceback: '错误堆栈',
  'The backtest failed without a message.': '回测失败，没有错误信息。',
  'Loading the report…': '正在加载报告…',
  'Open in a browser tab': '在浏览器标签页中打开',
  'Open the report in a new browser tab': '在新的浏览器标签页中打开报告',
  'Reload the report': '重新加载报告',
  // Strategy library (策略库): src/drive/, src/panels/strategies/
  'Strategy library': '策略库',
  'Strategy library: %1': '策略库：%1',
  'Show the strategy library in the sidebar': '在侧边栏显示策略库',
  'New strategy': '新建策略',
  'Create a strategy in the strategy library (encrypted; every save is a version)':
    '在策略库中新建策略（加密保存，每次保存生成一个版本）',
  'Strategy name': '策略名',
  Create: '创建',
  'Bad strategy name “%1”: %2': '策略名“%1”不合法：%2',
  History: '版本历史',
  'Strategy version history': '策略版本历史',
  'Versions of the strategy: show, compare, restore, backtest one':
    '策略的各个版本：查看、对比、恢复、回测',
  'Versions · %1': '版本历史 · %1',
  'Loading versions…': '正在加载版本…',
  Version: '版本',
  Saved: '保存时间',
  Size: '大小',
  latest: '最新',
  'Compare from / to': '对比：从 / 到',
  'Compare from this version': '从此版本对比',
  'Compare to this version': '对比到此版本',
  'Compare from v%1': '从 v%1 对比',
  'Compare to v%1': '对比到 v%1',
  'Show version': '查看版本',
  Compare: '对比',
  Restore: '恢复',
  'Store this version again as the newest one (nothing is lost)':
    '把此版本另存为最新版本（不会丢失任何版本）',
  'Backtest this version': '回测此版本',
  'Restored as version %1.': '已恢复为版本 %1。',
  '%1, version %2': '%1，版本 %2',
  'Changes from v%1 to v%2': 'v%1 → v%2 的改动',
  'The two versions are identical.': '两个版本完全相同。',
  'Pick a version to show, or two versions to compare.':
    '选择一个版本查看，或选择两个版本对比。',
  'Pick a strategy file instead': '改为选择策略文件',
  // Live monitoring: risk (风控), watchlist (自选), alerts: src/panels/risk/, src/panels/watchlist/, src/live/
  Risk: '风控',
  'Open Risk': '打开风控',
  'Open the risk panel (rules, alerts, channels)':
    '打开风控面板（规则、提醒、通知渠道）',
  'Open the risk panel: rules with live status, account, alerts, notification channels':
    '打开风控面板：规则及实时状态、账户、风险提醒、通知渠道',
  Watchlist: '自选',
  'Open Watchlist': '打开自选',
  'Open the watchlist: live quotes of the symbols you follow':
    '打开自选：关注代码的实时行情',
  Live: '实时',
  'Connecting…': '连接中…',
  'Reconnecting…': '重连中…',
  'Reconnecting… (attempt %1)': '重连中…（第 %1 次）',
  Offline: '未连接',
  'Connected to the live feed (quotes, alerts, risk status)':
    '已连接实时推送（行情、提醒、风控状态）',
  'Not connected to the live feed; it reconnects by itself. Click to retry now.':
    '未连接实时推送，会自动重连。点击立即重试。',
  Code: '代码',
  Name: '名称',
  'Last price': '最新价',
  Chg: '涨跌',
  'Chg %': '涨跌幅',
  Time: '时间',
  'Remove %1 from the watchlist': '从自选中删除 %1',
  '%1 is already in the watchlist.': '%1 已在自选中。',
  'Add: code or name, e.g. 600519 or 茅台':
    '添加：代码或名称，如 600519 或 茅台',
  'Add a symbol to the watchlist': '添加代码到自选',
  Add: '添加',
  'in the list': '已添加',
  '%1 symbols': '%1 个代码',
  'Loading…': '加载中…',
  'The watchlist is empty: add a symbol above (code or name). Double-click a row to open its K-line.':
    '自选为空：在上方输入代码或名称添加。双击一行打开其 K 线。',
  'Check now': '立即检查',
  'Run every enabled rule now on the latest quotes':
    '用最新行情立即运行所有已启用的规则',
  'Not checked yet': '尚未检查',
  'Last check %1': '上次检查 %1',
  'Risk rules': '风控规则',
  'Add rule': '添加规则',
  'Edit rule': '编辑规则',
  'No rules yet: add one (drawdown, daily loss, stop loss, concentration, …).':
    '还没有规则：添加一条（回撤、当日亏损、止损、集中度……）。',
  Type: '类型',
  Status: '状态',
  Enabled: '启用',
  On: '开',
  Off: '关',
  Edit: '编辑',
  Delete: '删除',
  'Delete…': '删除…',
  'Delete this rule': '删除此规则',
  'strategy %1': '策略 %1',
  'checked %1': '检查于 %1',
  'value / threshold': '当前值 / 阈值',
  Breach: '触发',
  'No data': '无数据',
  Disabled: '已停用',
  'Not checked': '未检查',
  Account: '账户',
  Strategy: '策略',
  Market: '市场',
  Compliance: '合规',
  yuan: '元',
  yes: '是',
  no: '否',
  'Rule type': '规则类型',
  'Name (optional)': '名称（可选）',
  'Strategy tag (optional)': '策略标签（可选）',
  'Empty: all positions': '留空：全部持仓',
  'This rule has no parameters.': '此规则没有参数。',
  'range %1 – %2': '范围 %1 – %2',
  'Pick a rule type.': '请选择规则类型。',
  '%1 is required.': '请填写%1。',
  '%1 must be a whole number.': '%1 必须是整数。',
  '%1 must be between %2 and %3.': '%1 必须在 %2 到 %3 之间。',
  '%1 must be at least %2.': '%1 不能小于 %2。',
  '%1 must be at most %2.': '%1 不能大于 %2。',
  Save: '保存',
  'Saving…': '保存中…',
  'Saved.': '已保存。',
  'Total value': '总资产',
  Cash: '现金',
  'Unrealised P&L': '浮动盈亏',
  Permissions: '交易权限',
  ChiNext: '创业板',
  STAR: '科创板',
  'No positions. Enter them with `jlq risk account` or import a CSV.':
    '没有持仓。用 `jlq risk account` 录入或导入 CSV。',
  Quantity: '数量',
  Cost: '成本价',
  'Market value': '市值',
  Weight: '仓位',
  'P&L': '盈亏',
  Alerts: '风险提醒',
  'No alerts.': '没有提醒。',
  Critical: '严重',
  Info: '提示',
  Alert: '提醒',
  Channel: '渠道',
  Attempts: '尝试次数',
  Sent: '已发送',
  Retrying: '重试中',
  'Suppressed (rate limit or duplicate)': '已抑制（限频或重复）',
  'In digest': '已合并汇总',
  'Quiet hours': '免打扰时段',
  'Delivery log': '推送记录',
  'Nothing sent yet.': '还没有推送。',
  'Notification channels': '通知渠道',
  Configured: '已配置',
  'Not configured': '未配置',
  'Rate limit': '限频',
  'Limit %1': '限频 %1',
  'Sent today: %1': '今日已发 %1',
  Set: '已设置',
  'Not set': '未设置',
  'Stored; type to replace': '已保存；输入新值以替换',
  'Paste the secret here': '在此粘贴密钥',
  'Send test': '发送测试',
  'Sending…': '发送中…',
  'Send a test message on this channel now': '立即通过此渠道发送一条测试消息',
  'Uses the saved settings: save your changes first.':
    '测试使用已保存的设置：请先保存更改。',
  'Test message sent.': '测试消息已发送。',
  'Test message not sent (%1): %2': '测试消息未发送（%1）：%2',
  'Rule parameters': '规则参数',
  'Held back: %1': '限频暂缓 %1 条',
  'Missing: %1': '缺少：%1',
  'Paused until %1: %2': '暂停至 %1：%2',
  'from the environment': '来自环境变量',
  'comma separated': '用逗号分隔'
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
