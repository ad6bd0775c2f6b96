/**
 * JupyterLab notifications (toasts) for new alerts (风险提醒) from the live
 * WebSocket, with an "打开风控 Open Risk" action.
 */
import type { ITrans } from '../i18n';
import type { IAlert, IAlertMessage } from '../models/live';

/** The part of JupyterLab's `Notification` API used here. */
export interface INotificationApi {
  info(message: string, options?: INotificationOptions): string;
  warning(message: string, options?: INotificationOptions): string;
  error(message: string, options?: INotificationOptions): string;
}

/** Options given to the notification API. */
export interface INotificationOptions {
  autoClose?: number | false;
  actions?: { label: string; caption?: string; callback: () => void }[];
}

/** Options of {@link alertNotifier}. */
export interface IAlertNotifierOptions {
  notify: INotificationApi;
  /** The current translator (settings may change it). */
  trans: () => ITrans;
  /** Open the risk panel. */
  openRisk: () => void;
  /** Whether notifications are wanted now (the setting); default always. */
  enabled?: () => boolean;
}

/** How long a warning stays, ms (critical alerts stay until closed). */
export const ALERT_TOAST_MS = 15_000;

/** Alert ids remembered against duplicates (a reconnect may resend). */
const SEEN_LIMIT = 500;

/** Text of the toast: the alert's title (with the symbol when not in it). */
export function alertToastText(alert: IAlert): string {
  const title = alert.title || alert.rule;
  if (alert.symbol && !title.includes(alert.symbol)) {
    return `${title} · ${alert.symbol}`;
  }
  return title;
}

/**
 * A listener of WS `alert` messages that shows each new alert once:
 * critical as an error (stays until closed), warning as a warning, info as
 * info. Answers the id of the toast, or null when nothing was shown.
 */
export function alertNotifier(
  options: IAlertNotifierOptions
): (message: IAlertMessage) => string | null {
  const seen = new Set<string>();
  return (message: IAlertMessage): string | null => {
    const alert = message.alert;
    if (!alert || (options.enabled && !options.enabled())) {
      return null;
    }
    if (alert.id) {
      if (seen.has(alert.id)) {
        return null;
      }
      seen.add(alert.id);
      if (seen.size > SEEN_LIMIT) {
        const oldest = seen.values().next().value;
        if (oldest !== undefined) {
          seen.delete(oldest);
        }
      }
    }
    const trans = options.trans();
    const toastOptions: INotificationOptions = {
      autoClose: alert.severity === 'critical' ? false : ALERT_TOAST_MS,
      actions: [
        {
          label: trans.__('Open Risk'),
          caption: trans.__('Open the risk panel (rules, alerts, channels)'),
          callback: () => options.openRisk()
        }
      ]
    };
    const text = alertToastText(alert);
    switch (alert.severity) {
      case 'critical':
        return options.notify.error(text, toastOptions);
      case 'info':
        return options.notify.info(text, toastOptions);
      default:
        return options.notify.warning(text, toastOptions);
    }
  };
}
