/**
 * Pure helpers of the risk panel (风控): rule forms generated from the
 * parameter descriptors and their validation, labels of states, severities
 * and delivery statuses, merging live statuses and alerts, and the channel
 * form (secrets are write-only and never sent empty).
 */
import type { ITrans } from '../../i18n';
import { formatNumber, localized } from '../../live/format';
import type {
  ChannelOptionValue,
  IAlert,
  IAlertRecord,
  INotifyChannel,
  INotifyChannelUpdate,
  IRiskRule,
  IRuleParamDescriptor,
  IRuleStatus,
  IRuleType,
  RuleParamValue
} from '../../models/live';

/** Alerts kept in the feed. */
export const ALERT_FEED_LIMIT = 200;

// ---- rule kinds and parameters ---------------------------------------------------

/** The rule kind `kind` of `types`. */
export function findType(
  types: readonly IRuleType[] | null | undefined,
  kind: string
): IRuleType | undefined {
  return types?.find(t => t.kind === kind);
}

/** Label of a rule kind (its kind when unknown). */
export function kindLabel(
  types: readonly IRuleType[] | null | undefined,
  kind: string,
  trans: ITrans
): string {
  const type = findType(types, kind);
  return type ? localized(type.label, trans) || kind : kind;
}

/** Label of a rule scope. */
export function scopeLabel(scope: string, trans: ITrans): string {
  switch (scope) {
    case 'account':
      return trans.__('Account');
    case 'strategy':
      return trans.__('Strategy');
    case 'market':
      return trans.__('Market');
    case 'compliance':
      return trans.__('Compliance');
    default:
      return scope;
  }
}

/** Unit shown after a value: `%`, `元`, or nothing. */
export function unitLabel(
  unit: string | null | undefined,
  trans: ITrans
): string {
  switch (unit) {
    case '%':
      return '%';
    case 'CNY':
      return trans.__('yuan');
    default:
      return '';
  }
}

/** Whether a parameter is numeric. */
export function isNumericParam(param: IRuleParamDescriptor): boolean {
  return param.type === 'number' || param.type === 'integer';
}

/** A parameter value for reading: `10%`, `50,000 元`, `是`. */
export function formatParamValue(
  param: IRuleParamDescriptor | undefined,
  value: RuleParamValue | undefined,
  trans: ITrans
): string {
  if (value === null || value === undefined || value === '') {
    return '—';
  }
  if (typeof value === 'boolean') {
    return value ? trans.__('yes') : trans.__('no');
  }
  if (typeof value === 'number') {
    const unit = unitLabel(param?.unit, trans);
    const text = formatNumber(value);
    return unit === '%' ? `${text}%` : unit ? `${text} ${unit}` : text;
  }
  return String(value);
}

/** One line summary of a rule's parameters: `阈值 10% · 窗口 5`. */
export function paramsSummary(
  rule: Pick<IRiskRule, 'params'>,
  type: IRuleType | undefined,
  trans: ITrans
): string {
  const params = rule.params ?? {};
  if (!type) {
    return Object.entries(params)
      .map(
        ([name, value]) =>
          `${name} ${formatParamValue(undefined, value, trans)}`
      )
      .join(' · ');
  }
  return type.params
    .filter(p => p.name in params)
    .map(
      p =>
        `${localized(p.label, trans) || p.name} ${formatParamValue(p, params[p.name], trans)}`
    )
    .join(' · ');
}

/** The rule form: text of numeric inputs, checkbox states. */
export interface IRuleDraft {
  kind: string;
  name: string;
  enabled: boolean;
  strategy: string;
  params: Record<string, string | boolean>;
}

/** Input value of one parameter from a stored value (or its default). */
function inputValue(
  param: IRuleParamDescriptor,
  value: RuleParamValue | undefined
): string | boolean {
  const v = value === undefined ? param.default : value;
  if (param.type === 'boolean') {
    return v === true;
  }
  return v === null || v === undefined ? '' : String(v);
}

/** The form of a new rule of `type` (defaults), or of `rule` to edit. */
export function draftFor(
  type: IRuleType | undefined,
  rule?: IRiskRule | null
): IRuleDraft {
  const params: Record<string, string | boolean> = {};
  for (const param of type?.params ?? []) {
    params[param.name] = inputValue(param, rule?.params?.[param.name]);
  }
  return {
    kind: type?.kind ?? rule?.kind ?? '',
    name: rule?.name ?? '',
    enabled: rule?.enabled ?? true,
    strategy: rule?.strategy ?? '',
    params
  };
}

/** Errors of the rule form by field: `kind`, `strategy` or a parameter name. */
export type RuleDraftErrors = Record<string, string>;

/** Result of {@link validateDraft}. */
export interface IRuleDraftValidation {
  errors: RuleDraftErrors;
  /** The parameters to send (only when there is no error). */
  params: Record<string, RuleParamValue> | null;
}

/**
 * Check the form against the descriptors (number, integer, min/max) and
 * build the parameters to send. The server checks again; its message wins.
 */
export function validateDraft(
  type: IRuleType | undefined,
  draft: IRuleDraft,
  trans: ITrans
): IRuleDraftValidation {
  const errors: RuleDraftErrors = {};
  if (!type) {
    errors.kind = trans.__('Pick a rule type.');
    return { errors, params: null };
  }
  const params: Record<string, RuleParamValue> = {};
  for (const param of type.params) {
    const label = localized(param.label, trans) || param.name;
    const raw = draft.params[param.name];
    if (param.type === 'boolean') {
      params[param.name] = raw === true;
      continue;
    }
    const text = typeof raw === 'string' ? raw.trim() : '';
    if (!isNumericParam(param)) {
      params[param.name] = text;
      continue;
    }
    if (!text) {
      errors[param.name] = trans.__('%1 is required.', label);
      continue;
    }
    const value = Number(text);
    if (!Number.isFinite(value)) {
      errors[param.name] = trans.__('%1 must be a number.', label);
      continue;
    }
    if (param.type === 'integer' && !Number.isInteger(value)) {
      errors[param.name] = trans.__('%1 must be a whole number.', label);
      continue;
    }
    const unit = unitLabel(param.unit, trans);
    const show = (n: number) =>
      unit === '%'
        ? `${formatNumber(n)}%`
        : unit
          ? `${formatNumber(n)} ${unit}`
          : formatNumber(n);
    const min = param.min;
    const max = param.max;
    const hasMin = typeof min === 'number' && Number.isFinite(min);
    const hasMax = typeof max === 'number' && Number.isFinite(max);
    if (
      (hasMin && value < (min as number)) ||
      (hasMax && value > (max as number))
    ) {
      errors[param.name] =
        hasMin && hasMax
          ? trans.__(
              '%1 must be between %2 and %3.',
              label,
              show(min as number),
              show(max as number)
            )
          : hasMin
            ? trans.__('%1 must be at least %2.', label, show(min as number))
            : trans.__('%1 must be at most %2.', label, show(max as number));
      continue;
    }
    params[param.name] = value;
  }
  return {
    errors,
    params: Object.keys(errors).length ? null : params
  };
}

// ---- statuses ----------------------------------------------------------------------

/** Label of a rule state. */
export function ruleStateLabel(
  state: string | undefined,
  trans: ITrans
): string {
  switch (state) {
    case 'ok':
      return trans.__('OK');
    case 'breach':
      return trans.__('Breach');
    case 'error':
      return trans.__('Error');
    case 'no_data':
      return trans.__('No data');
    case 'disabled':
      return trans.__('Disabled');
    default:
      return trans.__('Not checked');
  }
}

/** Tone (colour) of a rule state. */
export function ruleStateTone(
  state: string | undefined
): 'success' | 'error' | 'warn' | 'neutral' {
  switch (state) {
    case 'ok':
      return 'success';
    case 'breach':
    case 'error':
      return 'error';
    case 'no_data':
      return 'warn';
    default:
      return 'neutral';
  }
}

/** `value / threshold` of a status, or '' when neither is known. */
export function statusNumbers(
  status:
    { value?: number | null; threshold?: number | null } | null | undefined
): string {
  if (!status) {
    return '';
  }
  const value = status.value;
  const threshold = status.threshold;
  const hasValue = value !== null && value !== undefined;
  const hasThreshold = threshold !== null && threshold !== undefined;
  if (!hasValue && !hasThreshold) {
    return '';
  }
  return `${hasValue ? formatNumber(value) : '—'} / ${hasThreshold ? formatNumber(threshold) : '—'}`;
}

/**
 * The rules with the statuses of a check applied (by `rule_id`); rules a
 * status does not mention keep theirs.
 */
export function mergeStatuses(
  rules: readonly IRiskRule[],
  statuses: readonly IRuleStatus[],
  checkedAt?: string | null
): IRiskRule[] {
  const byId = new Map<number, IRuleStatus>();
  for (const status of statuses) {
    byId.set(status.rule_id, status);
  }
  return rules.map(rule => {
    const status = byId.get(rule.id);
    if (!status) {
      return rule;
    }
    return {
      ...rule,
      status: {
        state: status.state,
        value: status.value ?? null,
        threshold: status.threshold ?? null,
        message: status.message ?? '',
        symbols: status.symbols ?? [],
        checked_at:
          status.checked_at ?? checkedAt ?? rule.status?.checked_at ?? null
      }
    };
  });
}

/** `rules` with `rule` replaced (by id) or appended. */
export function upsertRule(
  rules: readonly IRiskRule[] | null,
  rule: IRiskRule
): IRiskRule[] {
  const list = rules ? [...rules] : [];
  const at = list.findIndex(r => r.id === rule.id);
  if (at >= 0) {
    list[at] = rule;
  } else {
    list.push(rule);
  }
  return list;
}

// ---- alerts ------------------------------------------------------------------------

/** Label of an alert severity. */
export function severityLabel(severity: string, trans: ITrans): string {
  switch (severity) {
    case 'critical':
      return trans.__('Critical');
    case 'info':
      return trans.__('Info');
    default:
      return trans.__('Warning');
  }
}

/** `alerts` with the new ones first (no duplicate ids), at most `limit`. */
export function prependAlerts(
  alerts: readonly IAlertRecord[] | null,
  fresh: readonly IAlert[],
  limit: number = ALERT_FEED_LIMIT
): IAlertRecord[] {
  const known = new Set((alerts ?? []).map(a => a.id));
  const added: IAlertRecord[] = [];
  for (const alert of fresh) {
    if (!known.has(alert.id)) {
      known.add(alert.id);
      added.push({ ...alert, deliveries: [] });
    }
  }
  // Newest first, whatever order the batch came in.
  added.sort((a, b) => (a.time < b.time ? 1 : a.time > b.time ? -1 : 0));
  return [...added, ...(alerts ?? [])].slice(0, limit);
}

/** Label of a delivery status. */
export function deliveryStatusLabel(status: string, trans: ITrans): string {
  switch (status) {
    case 'sent':
      return trans.__('Sent');
    case 'failed':
      return trans.__('Failed');
    case 'retrying':
      return trans.__('Retrying');
    case 'suppressed':
      return trans.__('Suppressed (rate limit or duplicate)');
    case 'digested':
      return trans.__('In digest');
    case 'quiet':
      return trans.__('Quiet hours');
    default:
      return status;
  }
}

/** Tone of a delivery status. */
export function deliveryTone(
  status: string
): 'success' | 'error' | 'warn' | 'neutral' {
  switch (status) {
    case 'sent':
      return 'success';
    case 'failed':
      return 'error';
    case 'retrying':
      return 'warn';
    default:
      return 'neutral';
  }
}

// ---- channels ----------------------------------------------------------------------

/** The channel form: option inputs, new secrets (empty: keep the stored one). */
export interface IChannelDraft {
  enabled: boolean;
  options: Record<string, string | boolean>;
  secrets: Record<string, string>;
}

/** The form of `channel` as stored (secrets empty: never echoed back). */
export function channelDraft(channel: INotifyChannel): IChannelDraft {
  const options: Record<string, string | boolean> = {};
  for (const [key, value] of Object.entries(channel.options ?? {})) {
    options[key] =
      typeof value === 'boolean'
        ? value
        : value === null || value === undefined
          ? ''
          : Array.isArray(value)
            ? value.join(', ')
            : String(value);
  }
  const secrets: Record<string, string> = {};
  for (const field of channel.secret_fields ?? []) {
    secrets[field] = '';
  }
  return { enabled: channel.enabled, options, secrets };
}

/**
 * The `PUT /notify/channels/<name>` body of a form: `enabled`, the options
 * (numbers stay numbers, lists stay lists, an emptied unset option stays
 * null) and only the secrets typed in; empty secret inputs are left out so
 * the stored secrets stay.
 */
export function buildChannelUpdate(
  channel: INotifyChannel,
  draft: IChannelDraft
): INotifyChannelUpdate {
  const options: Record<string, ChannelOptionValue> = {};
  for (const [key, input] of Object.entries(draft.options)) {
    const original = channel.options?.[key];
    if (typeof input === 'boolean') {
      options[key] = input;
      continue;
    }
    const text = input.trim();
    if (Array.isArray(original)) {
      options[key] = text.split(/[,，\s]+/).filter(item => item !== '');
    } else if (typeof original === 'number') {
      const value = Number(text);
      options[key] = text === '' ? null : Number.isFinite(value) ? value : text;
    } else if (original === null || original === undefined) {
      options[key] = text === '' ? null : text;
    } else {
      options[key] = text;
    }
  }
  const update: INotifyChannelUpdate = { enabled: draft.enabled, options };
  const secrets: Record<string, string> = {};
  for (const [field, value] of Object.entries(draft.secrets)) {
    const text = value.trim();
    if (text) {
      secrets[field] = text;
    }
  }
  if (Object.keys(secrets).length) {
    update.secrets = secrets;
  }
  return update;
}

/** Human label of an option or secret field name: `webhook_key` → `webhook key`. */
export function fieldName(name: string): string {
  return name.replace(/_/g, ' ');
}
