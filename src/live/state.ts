/**
 * How the live connection state is shown (the connection indicator of the
 * risk and watchlist panels).
 */
import type { ITrans } from '../i18n';
import type { LiveConnectionState } from './socket';

/** Label of a connection state. */
export function connectionLabel(
  state: LiveConnectionState,
  trans: ITrans,
  failures = 0
): string {
  switch (state) {
    case 'connected':
      return trans.__('Live');
    case 'connecting':
      return trans.__('Connecting…');
    case 'reconnecting':
      return failures > 1
        ? trans.__('Reconnecting… (attempt %1)', failures)
        : trans.__('Reconnecting…');
    default:
      return trans.__('Offline');
  }
}

/** Tooltip of a connection state. */
export function connectionTitle(
  state: LiveConnectionState,
  trans: ITrans
): string {
  return state === 'connected'
    ? trans.__('Connected to the live feed (quotes, alerts, risk status)')
    : trans.__(
        'Not connected to the live feed; it reconnects by itself. Click to retry now.'
      );
}
