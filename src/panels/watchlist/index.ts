/**
 * The watchlist panel (自选); loaded on first use.
 */
export * from './model';
export * from './panel';
export * from './table';
export * from './toolbar';
