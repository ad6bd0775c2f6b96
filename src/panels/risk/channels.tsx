/**
 * Notification channels of the risk panel (通知渠道: WeCom robot,
 * ServerChan, PushPlus, …): enable, options, secrets and "send test".
 *
 * Secrets are write-only: the inputs start empty and are never filled from
 * the server ("已设置 set" says one is stored); an empty input keeps the
 * stored secret.
 */
import * as React from 'react';

import { describeError, IShownError } from '../../errors';
import type { ITrans } from '../../i18n';
import { formatExchangeTime, localized } from '../../live/format';
import type {
  INotifyChannel,
  INotifyChannelUpdate,
  INotifyTestResult
} from '../../models/live';
import {
  buildChannelUpdate,
  channelDraft,
  deliveryStatusLabel,
  fieldName,
  IChannelDraft
} from './logic';
import { ErrorBox } from './rules';

/** Props of {@link ChannelCard}. */
export interface IChannelCardProps {
  trans: ITrans;
  channel: INotifyChannel;
  onSave: (
    name: string,
    update: INotifyChannelUpdate
  ) => Promise<INotifyChannel>;
  onTest: (name: string) => Promise<INotifyTestResult>;
}

/** Outcome shown under a channel's buttons. */
interface IOutcome {
  tone: 'success' | 'error';
  text: string;
  hint?: string | null;
}

/** One channel's settings. */
export function ChannelCard(props: IChannelCardProps): JSX.Element {
  const { trans, channel } = props;
  const [draft, setDraft] = React.useState<IChannelDraft>(() =>
    channelDraft(channel)
  );
  const [dirty, setDirty] = React.useState(false);
  const [saving, setSaving] = React.useState(false);
  const [testing, setTesting] = React.useState(false);
  const [outcome, setOutcome] = React.useState<IOutcome | null>(null);
  const id = `jlq-channel-${channel.name}`;

  // A refreshed channel (e.g. sent_today after a test) replaces an unedited form.
  React.useEffect(() => {
    if (!dirty) {
      setDraft(channelDraft(channel));
    }
  }, [channel]);

  const edit = (next: IChannelDraft) => {
    setDraft(next);
    setDirty(true);
    setOutcome(null);
  };

  const save = async () => {
    setSaving(true);
    setOutcome(null);
    try {
      const saved = await props.onSave(
        channel.name,
        buildChannelUpdate(channel, draft)
      );
      setDraft(channelDraft(saved));
      setDirty(false);
      setOutcome({ tone: 'success', text: trans.__('Saved.') });
    } catch (error) {
      const shown: IShownError = describeError(error, trans);
      setOutcome({ tone: 'error', text: shown.message, hint: shown.hint });
    } finally {
      setSaving(false);
    }
  };

  const test = async () => {
    setTesting(true);
    setOutcome(null);
    try {
      const result = await props.onTest(channel.name);
      setOutcome(
        result.status === 'sent'
          ? { tone: 'success', text: trans.__('Test message sent.') }
          : {
              tone: 'error',
              text: trans.__(
                'Test message not sent (%1): %2',
                deliveryStatusLabel(result.status, trans),
                result.error ?? '—'
              )
            }
      );
    } catch (error) {
      const shown = describeError(error, trans);
      setOutcome({ tone: 'error', text: shown.message, hint: shown.hint });
    } finally {
      setTesting(false);
    }
  };

  const optionKeys = Object.keys(draft.options);
  return (
    <form
      className={`jp-QuantRisk-channel${channel.enabled ? '' : ' jp-mod-disabled'}`}
      data-testid={`jlq-channel-${channel.name}`}
      data-channel={channel.name}
      autoComplete="off"
      noValidate
      onSubmit={e => {
        e.preventDefault();
        void save();
      }}
    >
      <div className="jp-QuantRisk-channelHead">
        <label className="jp-QuantLive-switch">
          <input
            type="checkbox"
            data-testid="jlq-channel-enabled"
            checked={draft.enabled}
            onChange={e => edit({ ...draft, enabled: e.target.checked })}
          />
          <span className="jp-QuantRisk-channelName">
            {localized(channel.label, trans) || channel.name}
          </span>
        </label>
        <span
          className={`jp-QuantLive-badge jp-mod-${channel.configured ? 'success' : 'warn'}`}
          data-testid="jlq-channel-configured"
          data-configured={channel.configured ? 'true' : 'false'}
        >
          {channel.configured
            ? trans.__('Configured')
            : trans.__('Not configured')}
        </span>
      </div>
      <div className="jp-QuantRisk-channelMeta">
        <span title={trans.__('Rate limit')}>
          {trans.__('Limit %1', channel.rate_limit || '—')}
        </span>
        <span data-testid="jlq-channel-sent-today">
          {trans.__('Sent today: %1', channel.sent_today ?? 0)}
        </span>
        {!!channel.held && (
          <span>{trans.__('Held back: %1', channel.held)}</span>
        )}
        {channel.base_url && (
          <span className="jp-QuantRisk-note" title={channel.base_url}>
            {channel.base_url}
          </span>
        )}
      </div>
      {channel.missing && channel.missing.length > 0 && (
        <div className="jp-QuantRisk-note" data-testid="jlq-channel-missing">
          {trans.__('Missing: %1', channel.missing.map(fieldName).join(', '))}
        </div>
      )}
      {channel.paused_until && (
        <div className="jp-QuantRisk-outcome jp-mod-error">
          {trans.__(
            'Paused until %1: %2',
            formatExchangeTime(channel.paused_until),
            channel.paused_reason ?? '—'
          )}
        </div>
      )}
      {channel.secret_error && (
        <div
          className="jp-QuantRisk-outcome jp-mod-error"
          data-testid="jlq-channel-secret-error"
        >
          {channel.secret_error}
        </div>
      )}
      {optionKeys.map(key => {
        const value = draft.options[key];
        const inputId = `${id}-option-${key}`;
        if (typeof value === 'boolean') {
          return (
            <div
              key={key}
              className="jp-QuantRisk-field jp-QuantRisk-checkField"
            >
              <label htmlFor={inputId}>
                <input
                  id={inputId}
                  type="checkbox"
                  data-option={key}
                  checked={value}
                  onChange={e =>
                    edit({
                      ...draft,
                      options: { ...draft.options, [key]: e.target.checked }
                    })
                  }
                />
                {fieldName(key)}
              </label>
            </div>
          );
        }
        return (
          <div key={key} className="jp-QuantRisk-field">
            <label htmlFor={inputId}>{fieldName(key)}</label>
            <input
              id={inputId}
              className="jp-mod-styled"
              data-option={key}
              type={
                typeof channel.options[key] === 'number' ? 'number' : 'text'
              }
              placeholder={
                Array.isArray(channel.options[key])
                  ? trans.__('comma separated')
                  : undefined
              }
              value={value}
              onChange={e =>
                edit({
                  ...draft,
                  options: { ...draft.options, [key]: e.target.value }
                })
              }
            />
          </div>
        );
      })}
      {(channel.secret_fields ?? []).map(field => {
        const isSet = (channel.secrets_set ?? []).includes(field);
        const fromEnv = (channel.secrets_env ?? []).includes(field);
        const inputId = `${id}-secret-${field}`;
        return (
          <div key={field} className="jp-QuantRisk-field">
            <label htmlFor={inputId}>
              {fieldName(field)}
              <span
                className={`jp-QuantLive-badge jp-mod-${isSet ? 'success' : 'neutral'}`}
                data-testid="jlq-channel-secret-state"
                data-secret={field}
                data-set={isSet ? 'true' : 'false'}
              >
                {isSet ? trans.__('Set') : trans.__('Not set')}
              </span>
              {fromEnv && (
                <span className="jp-QuantRisk-note">
                  {trans.__('from the environment')}
                </span>
              )}
            </label>
            <input
              id={inputId}
              className="jp-mod-styled"
              type="password"
              autoComplete="new-password"
              data-secret={field}
              data-testid="jlq-channel-secret"
              value={draft.secrets[field] ?? ''}
              placeholder={
                isSet
                  ? trans.__('Stored; type to replace')
                  : trans.__('Paste the secret here')
              }
              onChange={e =>
                edit({
                  ...draft,
                  secrets: { ...draft.secrets, [field]: e.target.value }
                })
              }
            />
          </div>
        );
      })}
      <div className="jp-QuantRisk-channelButtons">
        <button
          type="submit"
          className="jp-mod-styled jp-mod-accept"
          data-testid="jlq-channel-save"
          disabled={saving || !dirty}
        >
          {saving ? trans.__('Saving…') : trans.__('Save')}
        </button>
        <button
          type="button"
          className="jp-mod-styled"
          data-testid="jlq-channel-test"
          disabled={testing}
          title={
            dirty
              ? trans.__('Uses the saved settings: save your changes first.')
              : trans.__('Send a test message on this channel now')
          }
          onClick={() => void test()}
        >
          {testing ? trans.__('Sending…') : trans.__('Send test')}
        </button>
      </div>
      {outcome && (
        <div
          className={`jp-QuantRisk-outcome jp-mod-${outcome.tone}`}
          role={outcome.tone === 'error' ? 'alert' : 'status'}
          data-testid="jlq-channel-result"
          data-tone={outcome.tone}
        >
          <div>{outcome.text}</div>
          {outcome.hint && (
            <div className="jp-QuantLive-hint">
              {trans.__('What to do: %1', outcome.hint)}
            </div>
          )}
        </div>
      )}
    </form>
  );
}

/** Props of {@link ChannelsSection}. */
export interface IChannelsSectionProps {
  trans: ITrans;
  channels: INotifyChannel[] | null;
  error: IShownError | null;
  onSave: IChannelCardProps['onSave'];
  onTest: IChannelCardProps['onTest'];
  onReload: () => void;
}

/** Every channel. */
export function ChannelsSection(props: IChannelsSectionProps): JSX.Element {
  const { trans, channels, error } = props;
  return (
    <section
      className="jp-QuantRisk-section jp-QuantRisk-channels"
      data-testid="jlq-risk-channels"
      aria-label={trans.__('Notification channels')}
    >
      <div className="jp-QuantRisk-sectionHeader">
        <h3 className="jp-QuantRisk-heading">
          {trans.__('Notification channels')}
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
      {channels === null && !error && (
        <div className="jp-QuantRisk-note">{trans.__('Loading…')}</div>
      )}
      <div className="jp-QuantRisk-channelGrid">
        {channels?.map(channel => (
          <ChannelCard
            key={channel.name}
            trans={trans}
            channel={channel}
            onSave={props.onSave}
            onTest={props.onTest}
          />
        ))}
      </div>
    </section>
  );
}
