/**
 * The backtest panel (回测): the Lumino widget hosting {@link BacktestView}.
 */
import { ReactWidget } from '@jupyterlab/ui-components';
import type { Message } from '@lumino/messaging';
import { Signal } from '@lumino/signaling';
import * as React from 'react';

import type { BacktestClient } from '../../api';
import type { QuantConfig } from '../../config';
import type { IBacktestJob } from '../../models';
import type { BacktestJobsPoller } from './logic';
import { BacktestView } from './view';

/** Options of {@link BacktestPanel}. */
export interface IBacktestPanelOptions {
  client: BacktestClient;
  config: QuantConfig;
  onOpenReport: (job: IBacktestJob) => void;
  /** Symbols to prefill. */
  symbols?: string;
}

/** The Lumino widget hosting {@link BacktestView}. */
export class BacktestPanel extends ReactWidget {
  constructor(options: IBacktestPanelOptions) {
    super();
    this.addClass('jp-QuantBacktestPanel');
    this._options = options;
    options.config.changed.connect(this._onConfigChanged, this);
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    Signal.disconnectReceiver(this);
    super.dispose();
    Signal.clearData(this);
  }

  protected render(): React.ReactElement {
    return (
      <BacktestView
        client={this._options.client}
        config={this._options.config}
        revision={this._revision}
        onOpenReport={this._options.onOpenReport}
        initialSymbols={this._options.symbols}
        onPoller={poller => {
          this._poller = poller;
        }}
        isVisible={() => this.isVisible}
      />
    );
  }

  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    // Catch up on what finished while the tab was hidden.
    if (this._poller?.paused) {
      void this._poller.refresh();
    }
  }

  private _onConfigChanged(): void {
    this._revision++;
    this.update();
  }

  private readonly _options: IBacktestPanelOptions;
  private _revision = 0;
  private _poller: BacktestJobsPoller | null = null;
}
