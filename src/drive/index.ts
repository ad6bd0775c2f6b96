/**
 * The strategy library drive (策略库) and its icon.
 */
export * from './drive';
export { strategyLibraryIcon } from './icon';
