/**
 * State of the risk panel (风控): rule kinds, rules with their live status,
 * the account, the alert feed, the notification channels and the delivery
 * log; loaded over REST and kept current by the live WebSocket.
 */
import type { NotifyClient, RiskClient } from '../../api';
import { describeError, IShownError } from '../../errors';
import type { ITrans } from '../../i18n';
import type {
  IAlert,
  IAlertRecord,
  INotifyChannel,
  INotifyChannelUpdate,
  INotifyDelivery,
  INotifyTestResult,
  IRiskAccount,
  IRiskRule,
  IRiskRuleCreate,
  IRiskRuleUpdate,
  IRuleStatus,
  IRuleType
} from '../../models/live';
import { mergeStatuses, prependAlerts, upsertRule } from './logic';

/** The REST calls the model makes. */
export type IRiskApi = Pick<
  RiskClient,
  | 'ruleTypes'
  | 'rules'
  | 'addRule'
  | 'updateRule'
  | 'removeRule'
  | 'check'
  | 'account'
  | 'alerts'
>;

/** The notification calls the model makes. */
export type INotifyApi = Pick<
  NotifyClient,
  'channels' | 'configureChannel' | 'testChannel' | 'log'
>;

/** Delay of the refresh of alert deliveries and the log after a live alert, ms. */
export const DELIVERY_REFRESH_MS = 3000;

/** What the panel shows. Lists are null until loaded. */
export interface IRiskState {
  types: IRuleType[] | null;
  rules: IRiskRule[] | null;
  account: IRiskAccount | null;
  alerts: IAlertRecord[] | null;
  channels: INotifyChannel[] | null;
  log: INotifyDelivery[] | null;
  /** Load errors by section. */
  errors: Partial<Record<RiskSection, IShownError>>;
  /** A rule action (toggle, delete) failed. */
  ruleError: IShownError | null;
  /** Rules with a request in flight. */
  busyRules: ReadonlySet<number>;
  checking: boolean;
  checkError: IShownError | null;
  /** When the last check (this panel's or a live one) ran. */
  checkedAt: string | null;
}

/** A section loaded on its own. */
export type RiskSection =
  'types' | 'rules' | 'account' | 'alerts' | 'channels' | 'log';

/** Options of {@link RiskModel}. */
export interface IRiskModelOptions {
  risk: IRiskApi;
  notify: INotifyApi;
  trans: () => ITrans;
  onChange: () => void;
}

/** State and actions of the risk panel (see the module comment). */
export class RiskModel {
  constructor(options: IRiskModelOptions) {
    this._risk = options.risk;
    this._notify = options.notify;
    this._trans = options.trans;
    this._onChange = options.onChange;
  }

  get state(): IRiskState {
    return this._state;
  }

  /** Load every section (each on its own: one failing does not stop the rest). */
  async loadAll(): Promise<void> {
    await Promise.all([
      this.loadTypes(),
      this.loadRules(),
      this.loadAccount(),
      this.loadAlerts(),
      this.loadChannels(),
      this.loadLog()
    ]);
  }

  loadTypes(): Promise<void> {
    return this._load('types', async () => ({
      types: (await this._risk.ruleTypes()).types
    }));
  }

  loadRules(): Promise<void> {
    return this._load('rules', async () => {
      const rules = (await this._risk.rules()).rules;
      // The newest check the stored statuses come from.
      const last = rules
        .map(r => r.status?.checked_at ?? '')
        .reduce((a, b) => (b > a ? b : a), '');
      return {
        rules,
        checkedAt:
          last && (!this._state.checkedAt || last > this._state.checkedAt)
            ? last
            : this._state.checkedAt
      };
    });
  }

  loadAccount(): Promise<void> {
    return this._load('account', async () => ({
      account: await this._risk.account()
    }));
  }

  loadAlerts(): Promise<void> {
    return this._load('alerts', async () => ({
      alerts: (await this._risk.alerts()).alerts
    }));
  }

  loadChannels(): Promise<void> {
    return this._load('channels', async () => ({
      channels: (await this._notify.channels()).channels
    }));
  }

  loadLog(): Promise<void> {
    return this._load('log', async () => ({
      log: (await this._notify.log()).deliveries
    }));
  }

  /** Add a rule; throws the server's error (the dialog shows it). */
  async addRule(rule: IRiskRuleCreate): Promise<IRiskRule> {
    const added = await this._risk.addRule(rule);
    this._set({ rules: upsertRule(this._state.rules, added), ruleError: null });
    return added;
  }

  /** Change a rule; throws the server's error (the dialog shows it). */
  async updateRule(id: number, update: IRiskRuleUpdate): Promise<IRiskRule> {
    const updated = await this._risk.updateRule(id, update);
    this._set({
      rules: upsertRule(this._state.rules, updated),
      ruleError: null
    });
    return updated;
  }

  /** Enable or disable a rule (shown at once, undone on failure). */
  async setEnabled(rule: IRiskRule, enabled: boolean): Promise<void> {
    this._busy(rule.id, true);
    this._set({
      rules: upsertRule(this._state.rules, { ...rule, enabled }),
      ruleError: null
    });
    try {
      const updated = await this._risk.updateRule(rule.id, { enabled });
      this._set({ rules: upsertRule(this._state.rules, updated) });
    } catch (error) {
      this._set({
        rules: upsertRule(this._state.rules, rule),
        ruleError: describeError(error, this._trans())
      });
    } finally {
      this._busy(rule.id, false);
    }
  }

  /** Delete a rule. */
  async removeRule(rule: IRiskRule): Promise<void> {
    this._busy(rule.id, true);
    try {
      await this._risk.removeRule(rule.id);
      this._set({
        rules: (this._state.rules ?? []).filter(r => r.id !== rule.id),
        ruleError: null
      });
    } catch (error) {
      this._set({ ruleError: describeError(error, this._trans()) });
    } finally {
      this._busy(rule.id, false);
    }
  }

  /** Dismiss the rule action error. */
  clearRuleError(): void {
    this._set({ ruleError: null });
  }

  /** Run every rule now (`POST /risk/check`). */
  async check(): Promise<void> {
    if (this._state.checking) {
      return;
    }
    this._set({ checking: true, checkError: null });
    try {
      const result = await this._risk.check();
      this.applyStatuses(result.statuses, result.checked_at);
      this.pushAlerts(result.alerts ?? []);
      this._set({ checking: false });
      void this.loadAccount();
    } catch (error) {
      this._set({
        checking: false,
        checkError: describeError(error, this._trans())
      });
    }
  }

  /** Apply the statuses of a check (live `risk` message or our own check). */
  applyStatuses(
    statuses: readonly IRuleStatus[],
    checkedAt?: string | null
  ): void {
    const rules = this._state.rules;
    const at =
      checkedAt ??
      statuses.find(s => s.checked_at)?.checked_at ??
      this._state.checkedAt;
    this._set({
      rules: rules ? mergeStatuses(rules, statuses, at) : rules,
      checkedAt: at ?? null
    });
  }

  /**
   * New alerts first in the feed; their deliveries (and the log) are
   * fetched again a little later, once the channels had a go.
   */
  pushAlerts(alerts: readonly IAlert[]): void {
    if (!alerts.length) {
      return;
    }
    this._set({ alerts: prependAlerts(this._state.alerts, alerts) });
    clearTimeout(this._refreshTimer);
    this._refreshTimer = setTimeout(() => {
      if (!this._disposed) {
        void this.loadAlerts();
        void this.loadLog();
      }
    }, DELIVERY_REFRESH_MS);
  }

  /** Save a channel's settings; throws the server's error. */
  async configureChannel(
    name: string,
    update: INotifyChannelUpdate
  ): Promise<INotifyChannel> {
    const channel = await this._notify.configureChannel(name, update);
    this._set({
      channels: (this._state.channels ?? []).map(c =>
        c.name === name ? channel : c
      )
    });
    return channel;
  }

  /** Send a test message; throws the server's error. */
  async testChannel(name: string): Promise<INotifyTestResult> {
    try {
      return await this._notify.testChannel(name);
    } finally {
      void this.loadLog();
      void this.loadChannels();
    }
  }

  /** Stop the pending refresh. */
  dispose(): void {
    this._disposed = true;
    clearTimeout(this._refreshTimer);
  }

  private async _load(
    section: RiskSection,
    fetch: () => Promise<Partial<IRiskState>>
  ): Promise<void> {
    try {
      const patch = await fetch();
      const errors = { ...this._state.errors };
      delete errors[section];
      this._set({ ...patch, errors });
    } catch (error) {
      this._set({
        errors: {
          ...this._state.errors,
          [section]: describeError(error, this._trans())
        }
      });
    }
  }

  private _busy(id: number, busy: boolean): void {
    const next = new Set(this._state.busyRules);
    if (busy) {
      next.add(id);
    } else {
      next.delete(id);
    }
    this._set({ busyRules: next });
  }

  private _set(patch: Partial<IRiskState>): void {
    if (this._disposed) {
      return;
    }
    this._state = { ...this._state, ...patch };
    this._onChange();
  }

  private readonly _risk: IRiskApi;
  private readonly _notify: INotifyApi;
  private readonly _trans: () => ITrans;
  private readonly _onChange: () => void;
  private _state: IRiskState = {
    types: null,
    rules: null,
    account: null,
    alerts: null,
    channels: null,
    log: null,
    errors: {},
    ruleError: null,
    busyRules: new Set(),
    checking: false,
    checkError: null,
    checkedAt: null
  };
  private _refreshTimer: ReturnType<typeof setTimeout> | undefined = undefined;
  private _disposed = false;
}
