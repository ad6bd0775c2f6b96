/**
 * The strategy version history (策略版本历史); loaded on first use.
 */
export * from './logic';
export { StrategyHistoryView } from './view';
export type { IStrategyHistoryViewProps } from './view';
export { StrategyHistoryWidget } from './widget';
export type { IStrategyHistoryWidgetOptions } from './widget';
