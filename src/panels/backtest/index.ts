/**
 * The backtest panel (回测) and its report tab; loaded on first use.
 */
export { BacktestForm } from './form';
export type { IBacktestFormProps } from './form';
export { JobItem, JobList } from './jobs';
export type { IJobListProps } from './jobs';
export * from './logic';
export { BacktestPanel } from './panel';
export type { IBacktestPanelOptions } from './panel';
export { BacktestReportWidget, REPORT_SANDBOX } from './report';
export { createReportMainArea, reportWidgetId } from './reportTab';
export type { IBacktestReportOptions } from './report';
export { BacktestView } from './view';
export type { IBacktestViewProps } from './view';
