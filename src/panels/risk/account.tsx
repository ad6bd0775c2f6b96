/**
 * The account summary of the risk panel (账户): cash, value, permissions
 * and the positions with weight and P&L (coloured after the up/down
 * convention).
 */
import * as React from 'react';

import type { IShownError } from '../../errors';
import type { ITrans } from '../../i18n';
import {
  formatMoney,
  formatNumber,
  formatPct,
  formatPrice,
  formatSignedMoney,
  priceDecimals,
  trendClass,
  valueTrend
} from '../../live/format';
import type { IRiskAccount } from '../../models/live';
import { ErrorBox } from './rules';

/** Props of {@link AccountSection}. */
export interface IAccountSectionProps {
  trans: ITrans;
  account: IRiskAccount | null;
  error: IShownError | null;
  convention: string;
  onReload: () => void;
}

/** The account summary. */
export function AccountSection(props: IAccountSectionProps): JSX.Element {
  const { trans, account, error, convention } = props;
  const totalPnl = account
    ? account.positions.reduce(
        (sum, p) => sum + (typeof p.pnl === 'number' ? p.pnl : 0),
        0
      )
    : 0;
  return (
    <section
      className="jp-QuantRisk-section jp-QuantRisk-account"
      data-testid="jlq-risk-account"
      aria-label={trans.__('Account')}
    >
      <div className="jp-QuantRisk-sectionHeader">
        <h3 className="jp-QuantRisk-heading">
          {trans.__('Account')}
          {account?.name && (
            <span className="jp-QuantRisk-note">{account.name}</span>
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
      {!account && !error && (
        <div className="jp-QuantRisk-note">{trans.__('Loading…')}</div>
      )}
      {account && (
        <>
          <div className="jp-QuantRisk-metrics">
            <div
              className="jp-QuantRisk-metric"
              data-testid="jlq-risk-account-value"
            >
              <span className="jp-QuantRisk-metricLabel">
                {trans.__('Total value')}
              </span>
              <span className="jp-QuantRisk-metricValue">
                {formatMoney(account.value)}
              </span>
            </div>
            <div
              className="jp-QuantRisk-metric"
              data-testid="jlq-risk-account-cash"
            >
              <span className="jp-QuantRisk-metricLabel">
                {trans.__('Cash')}
              </span>
              <span className="jp-QuantRisk-metricValue">
                {formatMoney(account.cash)}
              </span>
            </div>
            <div
              className="jp-QuantRisk-metric"
              data-testid="jlq-risk-account-pnl"
            >
              <span className="jp-QuantRisk-metricLabel">
                {trans.__('Unrealised P&L')}
              </span>
              <span
                className={`jp-QuantRisk-metricValue ${trendClass(valueTrend(totalPnl), convention)}`}
              >
                {formatSignedMoney(totalPnl)}
              </span>
            </div>
            <div className="jp-QuantRisk-metric">
              <span className="jp-QuantRisk-metricLabel">
                {trans.__('Permissions')}
              </span>
              <span className="jp-QuantRisk-metricValue jp-QuantRisk-permissions">
                <span
                  className={`jp-QuantLive-badge jp-mod-${account.permissions?.chinext ? 'success' : 'neutral'}`}
                >
                  {trans.__('ChiNext')}
                  {account.permissions?.chinext ? ' ✓' : ' ✗'}
                </span>
                <span
                  className={`jp-QuantLive-badge jp-mod-${account.permissions?.star ? 'success' : 'neutral'}`}
                >
                  {trans.__('STAR')}
                  {account.permissions?.star ? ' ✓' : ' ✗'}
                </span>
              </span>
            </div>
          </div>
          {account.positions.length === 0 ? (
            <div className="jp-QuantRisk-note">
              {trans.__(
                'No positions. Enter them with `jlq risk account` or import a CSV.'
              )}
            </div>
          ) : (
            <table
              className="jp-QuantLive-table jp-QuantRisk-positions"
              data-testid="jlq-risk-positions"
            >
              <thead>
                <tr>
                  <th>{trans.__('Code')}</th>
                  <th>{trans.__('Name')}</th>
                  <th className="jp-mod-num">{trans.__('Quantity')}</th>
                  <th className="jp-mod-num">{trans.__('Cost')}</th>
                  <th className="jp-mod-num">{trans.__('Last price')}</th>
                  <th className="jp-mod-num">{trans.__('Market value')}</th>
                  <th className="jp-mod-num">{trans.__('Weight')}</th>
                  <th className="jp-mod-num">{trans.__('P&L')}</th>
                  <th>{trans.__('Strategy')}</th>
                </tr>
              </thead>
              <tbody>
                {account.positions.map(p => {
                  const decimals = priceDecimals(p.symbol);
                  const pnlClass = trendClass(valueTrend(p.pnl), convention);
                  return (
                    <tr
                      key={`${p.symbol}:${p.strategy ?? ''}`}
                      data-testid="jlq-risk-position"
                      data-symbol={p.symbol}
                    >
                      <td className="jp-QuantRisk-code">{p.symbol}</td>
                      <td>{p.name ?? ''}</td>
                      <td className="jp-mod-num">{formatNumber(p.quantity)}</td>
                      <td className="jp-mod-num">
                        {formatPrice(p.cost, decimals)}
                      </td>
                      <td className="jp-mod-num">
                        {formatPrice(p.price, decimals)}
                      </td>
                      <td className="jp-mod-num">{formatMoney(p.value)}</td>
                      <td className="jp-mod-num">{formatPct(p.weight)}</td>
                      <td className={`jp-mod-num ${pnlClass}`} data-field="pnl">
                        {formatSignedMoney(p.pnl)}
                      </td>
                      <td>{p.strategy ?? ''}</td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          )}
        </>
      )}
    </section>
  );
}
