/**
 * Live monitoring plumbing shared by the risk (风控) and watchlist (自选)
 * panels and the alert notifications; loaded once the app is restored.
 */
export * from './format';
export * from './notifications';
export * from './socket';
export * from './state';
