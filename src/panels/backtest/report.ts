/**
 * The HTML report of a backtest (回测报告) in a JupyterLab tab.
 *
 * The report is fetched through the authenticated REST client (it is not a
 * public URL) and shown in a sandboxed iframe via `srcdoc`: scripts of the
 * report may run, but in an opaque origin, without access to JupyterLab.
 */
import { Widget } from '@lumino/widgets';

import type { BacktestClient } from '../../api';
import { describeError } from '../../errors';
import type { ITrans } from '../../i18n';

/** Sandbox of the report frame: scripts yes, same origin (cookies, XSRF) no. */
export const REPORT_SANDBOX = 'allow-scripts allow-popups allow-downloads';

/** Options of {@link BacktestReportWidget}. */
export interface IBacktestReportOptions {
  client: BacktestClient;
  trans: ITrans;
  /** Job id. */
  jobId: string;
  /** Shown in the tab title (the job's label or strategy). */
  label?: string;
}

/** A tab showing the HTML report of one job. */
export class BacktestReportWidget extends Widget {
  constructor(options: IBacktestReportOptions) {
    super();
    this._client = options.client;
    this._trans = options.trans;
    this.jobId = options.jobId;
    this.label = options.label || options.jobId;
    this.addClass('jp-QuantBacktestReport');
    this.node.dataset.testid = 'quant-backtest-report';
    this.node.dataset.jobId = this.jobId;

    this._status = document.createElement('div');
    this._status.className = 'jp-QuantBacktestReport-status';
    this._status.setAttribute('aria-live', 'polite');
    this.node.appendChild(this._status);

    this._frame = document.createElement('iframe');
    this._frame.className = 'jp-QuantBacktestReport-frame';
    this._frame.dataset.testid = 'quant-backtest-report-frame';
    this._frame.setAttribute('sandbox', REPORT_SANDBOX);
    this._frame.setAttribute('referrerpolicy', 'no-referrer');
    this._frame.title = this._trans.__('Backtest report');
    this.node.appendChild(this._frame);
  }

  /** Id of the job whose report is shown. */
  readonly jobId: string;
  /** The job's label (or id). */
  readonly label: string;

  /** The report HTML (null until loaded). */
  get html(): string | null {
    return this._html;
  }

  /** Fetch the report and show it; resolves once shown (or failed). */
  async load(): Promise<void> {
    this._abort?.abort();
    const abort = new AbortController();
    this._abort = abort;
    this.node.dataset.state = 'loading';
    this._status.textContent = this._trans.__('Loading the report…');
    this._status.hidden = false;
    try {
      const html = await this._client.report(this.jobId, this._trans.language, {
        signal: abort.signal
      });
      if (this.isDisposed || abort.signal.aborted) {
        return;
      }
      this._html = html;
      this._frame.srcdoc = html;
      this._status.hidden = true;
      this._status.textContent = '';
      this.node.dataset.state = 'loaded';
    } catch (error) {
      if (this.isDisposed || abort.signal.aborted) {
        return;
      }
      const shown = describeError(error, this._trans);
      this._status.textContent = shown.hint
        ? `${shown.message}\n${this._trans.__('What to do: %1', shown.hint)}`
        : shown.message;
      this._status.classList.add('jp-mod-error');
      this.node.dataset.state = 'error';
    }
  }

  /** Open the loaded report in a new browser tab (from a blob URL). */
  openInBrowserTab(): void {
    if (this._html === null) {
      return;
    }
    const blob = new Blob([this._html], { type: 'text/html' });
    const url = URL.createObjectURL(blob);
    window.open(url, '_blank', 'noopener');
    // The new tab has loaded the blob by then; free it later.
    window.setTimeout(() => URL.revokeObjectURL(url), 60_000);
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._abort?.abort();
    this._abort = null;
    super.dispose();
  }

  private readonly _client: BacktestClient;
  private readonly _trans: ITrans;
  private readonly _status: HTMLDivElement;
  private readonly _frame: HTMLIFrameElement;
  private _html: string | null = null;
  private _abort: AbortController | null = null;
}
