/**
 * The report of a backtest (回测报告) as a main-area tab with a toolbar.
 */
import { MainAreaWidget } from '@jupyterlab/apputils';
import {
  launchIcon,
  refreshIcon,
  ToolbarButton
} from '@jupyterlab/ui-components';

import { BacktestReportWidget, IBacktestReportOptions } from './report';

/**
 * The report in a main-area tab, with a toolbar button that opens it in a
 * new browser tab. Starts loading at once.
 */
export function createReportMainArea(
  options: IBacktestReportOptions
): MainAreaWidget<BacktestReportWidget> {
  const { trans } = options;
  const content = new BacktestReportWidget(options);
  const widget = new MainAreaWidget({ content });
  widget.id = reportWidgetId(options.jobId);
  widget.addClass('jp-QuantBacktestReportWidget');
  widget.title.label = trans.__('Backtest report · %1', content.label);
  widget.title.caption = options.jobId;
  widget.title.closable = true;
  widget.toolbar.addItem(
    'open-in-browser-tab',
    new ToolbarButton({
      icon: launchIcon,
      label: trans.__('Open in a browser tab'),
      tooltip: trans.__('Open the report in a new browser tab'),
      onClick: () => content.openInBrowserTab()
    })
  );
  widget.toolbar.addItem(
    'reload',
    new ToolbarButton({
      icon: refreshIcon,
      tooltip: trans.__('Reload the report'),
      onClick: () => void content.load()
    })
  );
  void content.load();
  return widget;
}

/** Id of the report tab of a job (one tab per job). */
export function reportWidgetId(jobId: string): string {
  return `jupyterlab-quant-backtest-report-${jobId}`;
}
