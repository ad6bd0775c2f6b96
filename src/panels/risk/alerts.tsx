/**
 * The alert feed (风险提醒) and the delivery log (推送记录) of the risk
 * panel.
 */
import * as React from 'react';

import type { IShownError } from '../../errors';
import type { ITrans } from '../../i18n';
import { formatExchangeTime, formatNumber } from '../../live/format';
import type { IAlertRecord, INotifyDelivery } from '../../models/live';
import { deliveryStatusLabel, deliveryTone, severityLabel } from './logic';
import { ErrorBox } from './rules';

/** Props of {@link AlertFeed}. */
export interface IAlertFeedProps {
  trans: ITrans;
  alerts: IAlertRecord[] | null;
  error: IShownError | null;
  /** Label of a channel name (WeCom robot, ServerChan, …). */
  channelLabel: (name: string) => string;
  onReload: () => void;
}

/** The alert feed, newest first. */
export function AlertFeed(props: IAlertFeedProps): JSX.Element {
  const { trans, alerts, error } = props;
  return (
    <section
      className="jp-QuantRisk-section jp-QuantRisk-alerts"
      aria-label={trans.__('Alerts')}
    >
      <div className="jp-QuantRisk-sectionHeader">
        <h3 className="jp-QuantRisk-heading">
          {trans.__('Alerts')}
          {alerts && (
            <span className="jp-QuantLive-count">{alerts.length}</span>
          )}
        </h3>
        <button
          type="button"
          className="jp-QuantLive-iconButton"
          title={trans.__('Refresh')}
          aria-label={trans.__('Refresh')}
          onClick={props.onReload}
        >
          ⟳
        </button>
      </div>
      {error && (
        <ErrorBox trans={trans} error={error} onRetry={props.onReload} />
      )}
      {alerts === null && !error && (
        <div className="jp-QuantRisk-note">{trans.__('Loading…')}</div>
      )}
      <ul className="jp-QuantRisk-alertList" data-testid="jlq-alert-feed">
        {alerts && alerts.length === 0 && (
          <li className="jp-QuantRisk-note" data-testid="jlq-alert-empty">
            {trans.__('No alerts.')}
          </li>
        )}
        {alerts?.map(alert => (
          <li
            key={alert.id}
            className={`jp-QuantRisk-alert jp-mod-${alert.severity}`}
            data-testid="jlq-alert-item"
            data-alert-id={alert.id}
            data-severity={alert.severity}
          >
            <div className="jp-QuantRisk-alertHead">
              <span
                className={`jp-QuantLive-badge jp-QuantRisk-severity jp-mod-${alert.severity}`}
              >
                {severityLabel(alert.severity, trans)}
              </span>
              <span className="jp-QuantRisk-alertTitle">{alert.title}</span>
              <span className="jp-QuantRisk-alertTime">
                {formatExchangeTime(alert.time)}
              </span>
            </div>
            {alert.message && (
              <div className="jp-QuantRisk-alertMessage">{alert.message}</div>
            )}
            <div className="jp-QuantRisk-alertMeta">
              {alert.symbol && <span>{alert.symbol}</span>}
              {alert.value !== null && alert.value !== undefined && (
                <span title={trans.__('value / threshold')}>
                  {formatNumber(alert.value)}
                  {alert.threshold !== null && alert.threshold !== undefined
                    ? ` / ${formatNumber(alert.threshold)}`
                    : ''}
                </span>
              )}
              {(alert.deliveries ?? []).map(d => (
                <span
                  key={d.channel}
                  className={`jp-QuantLive-badge jp-mod-${deliveryTone(d.status)}`}
                  data-testid="jlq-alert-delivery"
                  data-channel={d.channel}
                  data-status={d.status}
                  title={d.error ?? ''}
                >
                  {`${props.channelLabel(d.channel)}: ${deliveryStatusLabel(d.status, trans)}`}
                </span>
              ))}
            </div>
          </li>
        ))}
      </ul>
    </section>
  );
}

/** Props of {@link DeliveryLog}. */
export interface IDeliveryLogProps {
  trans: ITrans;
  log: INotifyDelivery[] | null;
  error: IShownError | null;
  channelLabel: (name: string) => string;
  onReload: () => void;
}

/** The delivery log, newest first. */
export function DeliveryLog(props: IDeliveryLogProps): JSX.Element {
  const { trans, log, error } = props;
  return (
    <section
      className="jp-QuantRisk-section jp-QuantRisk-log"
      data-testid="jlq-notify-log"
      aria-label={trans.__('Delivery log')}
    >
      <div className="jp-QuantRisk-sectionHeader">
        <h3 className="jp-QuantRisk-heading">{trans.__('Delivery log')}</h3>
        <button
          type="button"
          className="jp-QuantLive-iconButton"
          title={trans.__('Refresh')}
          aria-label={trans.__('Refresh')}
          onClick={props.onReload}
        >
          ⟳
        </button>
      </div>
      {error && (
        <ErrorBox trans={trans} error={error} onRetry={props.onReload} />
      )}
      {log === null && !error && (
        <div className="jp-QuantRisk-note">{trans.__('Loading…')}</div>
      )}
      {log && log.length === 0 && (
        <div className="jp-QuantRisk-note">{trans.__('Nothing sent yet.')}</div>
      )}
      {log && log.length > 0 && (
        <table className="jp-QuantLive-table">
          <thead>
            <tr>
              <th>{trans.__('Time')}</th>
              <th>{trans.__('Channel')}</th>
              <th>{trans.__('Alert')}</th>
              <th>{trans.__('Status')}</th>
              <th className="jp-mod-num">{trans.__('Attempts')}</th>
              <th>{trans.__('Error')}</th>
            </tr>
          </thead>
          <tbody>
            {log.map(d => (
              <tr
                key={String(d.id)}
                data-testid="jlq-notify-log-row"
                data-channel={d.channel}
                data-status={d.status}
              >
                <td className="jp-QuantRisk-time">
                  {formatExchangeTime(d.sent ?? d.created)}
                </td>
                <td>{props.channelLabel(d.channel)}</td>
                <td>{d.title}</td>
                <td>
                  <span
                    className={`jp-QuantLive-badge jp-mod-${deliveryTone(d.status)}`}
                  >
                    {deliveryStatusLabel(d.status, trans)}
                  </span>
                </td>
                <td className="jp-mod-num">{d.attempts}</td>
                <td className="jp-QuantRisk-logError">{d.error ?? ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
