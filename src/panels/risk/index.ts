/**
 * The risk panel (风控); loaded on first use.
 */
export * from './account';
export * from './alerts';
export * from './channels';
export * from './dialog';
export * from './logic';
export * from './model';
export * from './panel';
export * from './rules';
export * from './view';
