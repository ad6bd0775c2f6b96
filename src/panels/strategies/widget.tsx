/**
 * The Lumino widget of the strategy version history (策略版本历史).
 */
import { ReactWidget } from '@jupyterlab/ui-components';
import * as React from 'react';

import type { ITrans } from '../../i18n';
import { IStrategyHistoryOptions, StrategyHistory } from './logic';
import { StrategyHistoryView } from './view';

/** Options of {@link StrategyHistoryWidget}. */
export type IStrategyHistoryWidgetOptions = Omit<
  IStrategyHistoryOptions,
  'onChange'
>;

/** The Lumino widget of the history of one strategy (loads on creation). */
export class StrategyHistoryWidget extends ReactWidget {
  constructor(options: IStrategyHistoryWidgetOptions) {
    super();
    this.addClass('jp-QuantStrategyHistoryPanel');
    this._trans = options.trans;
    this.history = new StrategyHistory({
      ...options,
      onChange: () => this.update()
    });
    void this.history.load();
  }

  readonly history: StrategyHistory;

  get strategyName(): string {
    return this.history.name;
  }

  protected render(): React.ReactElement {
    return (
      <StrategyHistoryView
        history={this.history}
        state={this.history.state}
        trans={this._trans}
      />
    );
  }

  private readonly _trans: ITrans;
}
