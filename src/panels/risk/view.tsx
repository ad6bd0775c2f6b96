/**
 * The React view of the risk panel (风控): toolbar (connection, check now),
 * rules, account, alert feed, notification channels and delivery log.
 */
import * as React from 'react';

import type { ITrans } from '../../i18n';
import { localized } from '../../live/format';
import type { LiveConnectionState } from '../../live/socket';
import type { IRiskRule } from '../../models/live';
import { ConnectionIndicator } from '../watchlist/toolbar';
import { AccountSection } from './account';
import { AlertFeed, DeliveryLog } from './alerts';
import { ChannelsSection } from './channels';
import { IRuleDialogResult, RuleDialog } from './dialog';
import type { IRiskState, RiskModel } from './model';
import { checkedLabel, ErrorBox, RulesSection } from './rules';

/** Props of {@link RiskView}. */
export interface IRiskViewProps {
  model: RiskModel;
  state: IRiskState;
  trans: ITrans;
  /** Up/down colour convention (`red-up`, `green-up`). */
  convention: string;
  connection: LiveConnectionState;
  failures: number;
  onRetryConnection: () => void;
}

/** The risk panel's view. */
export function RiskView(props: IRiskViewProps): JSX.Element {
  const { model, state, trans, convention } = props;
  // undefined: closed; null: add; a rule: edit.
  const [editing, setEditing] = React.useState<IRiskRule | null | undefined>(
    undefined
  );

  const channelLabel = (name: string): string => {
    const channel = state.channels?.find(c => c.name === name);
    return channel ? localized(channel.label, trans) || name : name;
  };

  const submitRule = async (result: IRuleDialogResult): Promise<void> => {
    if (editing) {
      await model.updateRule(editing.id, {
        params: result.params,
        name: result.name
      });
    } else {
      await model.addRule({
        kind: result.kind,
        params: result.params,
        enabled: result.enabled,
        ...(result.name ? { name: result.name } : {}),
        ...(result.strategy ? { strategy: result.strategy } : {})
      });
    }
    setEditing(undefined);
  };

  return (
    <div className="jp-QuantRisk-root">
      <div className="jp-QuantRisk" data-testid="jlq-risk">
        <div className="jp-QuantRisk-toolbar">
          <h2 className="jp-QuantRisk-title">{trans.__('Risk')}</h2>
          <button
            type="button"
            className="jp-mod-styled jp-mod-accept"
            data-testid="jlq-risk-check"
            disabled={state.checking}
            title={trans.__('Run every enabled rule now on the latest quotes')}
            onClick={() => void model.check()}
          >
            {state.checking ? trans.__('Checking…') : trans.__('Check now')}
          </button>
          <span
            className="jp-QuantRisk-checkedAt"
            data-testid="jlq-risk-checked-at"
          >
            {checkedLabel(state.checkedAt, trans)}
          </span>
          <span className="jp-QuantWatchlist-spacer" />
          <ConnectionIndicator
            trans={trans}
            state={props.connection}
            failures={props.failures}
            onRetry={props.onRetryConnection}
          />
          <button
            type="button"
            className="jp-QuantLive-iconButton"
            data-testid="jlq-risk-refresh"
            title={trans.__('Refresh')}
            aria-label={trans.__('Refresh')}
            onClick={() => void model.loadAll()}
          >
            ⟳
          </button>
        </div>
        {state.checkError && (
          <ErrorBox
            trans={trans}
            error={state.checkError}
            testid="jlq-risk-check-error"
          />
        )}
        {state.errors.types && (
          <ErrorBox
            trans={trans}
            error={state.errors.types}
            onRetry={() => void model.loadTypes()}
          />
        )}
        <RulesSection
          trans={trans}
          types={state.types}
          rules={state.rules}
          loadError={state.errors.rules ?? null}
          actionError={state.ruleError}
          busy={state.busyRules}
          onAdd={() => setEditing(null)}
          onEdit={rule => setEditing(rule)}
          onToggle={(rule, enabled) => void model.setEnabled(rule, enabled)}
          onDelete={rule => void model.removeRule(rule)}
          onReload={() => void model.loadRules()}
          onDismissError={() => model.clearRuleError()}
        />
        <div className="jp-QuantRisk-columns">
          <AccountSection
            trans={trans}
            account={state.account}
            error={state.errors.account ?? null}
            convention={convention}
            onReload={() => void model.loadAccount()}
          />
          <AlertFeed
            trans={trans}
            alerts={state.alerts}
            error={state.errors.alerts ?? null}
            channelLabel={channelLabel}
            onReload={() => void model.loadAlerts()}
          />
        </div>
        <ChannelsSection
          trans={trans}
          channels={state.channels}
          error={state.errors.channels ?? null}
          onSave={(name, update) => model.configureChannel(name, update)}
          onTest={name => model.testChannel(name)}
          onReload={() => void model.loadChannels()}
        />
        <DeliveryLog
          trans={trans}
          log={state.log}
          error={state.errors.log ?? null}
          channelLabel={channelLabel}
          onReload={() => void model.loadLog()}
        />
      </div>
      {editing !== undefined && state.types && state.types.length > 0 && (
        <RuleDialog
          trans={trans}
          types={state.types}
          rule={editing}
          onSubmit={submitRule}
          onClose={() => setEditing(undefined)}
        />
      )}
    </div>
  );
}
