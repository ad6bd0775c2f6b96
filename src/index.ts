/**
 * jupyterlab-quant frontend: the market data panel (行情).
 */
import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import {
  ICommandPalette,
  IThemeManager,
  MainAreaWidget,
  WidgetTracker
} from '@jupyterlab/apputils';
import { ILauncher } from '@jupyterlab/launcher';
import { IMainMenu } from '@jupyterlab/mainmenu';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';
import { MenuSvg } from '@jupyterlab/ui-components';
import type { ReadonlyPartialJSONObject } from '@lumino/coreutils';

import { QuantClient } from './api';
// Needed at activation (command label, settings) and small. The panel and
// ECharts are loaded on first use (see `execute`).
// eslint-disable-next-line jupyter/prefer-lazy-imports
import { normalizeSettings, QuantConfig } from './config';
// The command label is translated at activation, so the (small) catalogue is needed at once.
// eslint-disable-next-line jupyter/prefer-lazy-imports
import { createTrans, I18N_DOMAIN, resolveLanguage } from './i18n';
import { candlestickIcon } from './icons';
import type { MarketPanel } from './panels/market';
import { CommandIDs, MARKET_TRACKER_NAMESPACE, PLUGIN_ID } from './tokens';

export { QuantApiError, QuantClient, requestAPI } from './api';
export * from './models';
export { CommandIDs, PLUGIN_ID } from './tokens';

const plugin: JupyterFrontEndPlugin<void> = {
  id: PLUGIN_ID,
  description:
    'Market data panel (行情): symbol search, K-line with volume, moving averages and zoom.',
  autoStart: true,
  optional: [
    ITranslator,
    ISettingRegistry,
    ILauncher,
    ICommandPalette,
    IMainMenu,
    ILayoutRestorer,
    IThemeManager
  ],
  activate: (
    app: JupyterFrontEnd,
    translator: ITranslator | null,
    settingRegistry: ISettingRegistry | null,
    launcher: ILauncher | null,
    palette: ICommandPalette | null,
    mainMenu: IMainMenu | null,
    restorer: ILayoutRestorer | null,
    themeManager: IThemeManager | null
  ): void => {
    const labTranslator = translator ?? nullTranslator;
    // JupyterLab's bundle for our domain: English, and the fallback for
    // strings missing from the zh-CN catalogue (src/i18n.ts).
    const trans = labTranslator.load(I18N_DOMAIN);
    const config = new QuantConfig();
    const client = new QuantClient(app.serviceManager.serverSettings);
    const tracker = new WidgetTracker<MainAreaWidget<MarketPanel>>({
      namespace: MARKET_TRACKER_NAMESPACE
    });
    let counter = 0;

    const applySettings = (raw: ISettingRegistry.ISettings | null): void => {
      const settings = normalizeSettings(
        raw ? (raw.composite as Record<string, unknown>) : null
      );
      const language = resolveLanguage(
        settings.language,
        labTranslator.languageCode
      );
      config.update(settings, createTrans(language, trans));
    };
    applySettings(null);

    const titleFor = (symbol: string | null, name?: string): string => {
      const trans = config.trans;
      return symbol
        ? trans.__('Market data · %1', name || symbol)
        : trans.__('Market data');
    };

    app.commands.addCommand(CommandIDs.openMarket, {
      label: () => config.trans.__('Market data'),
      caption: () =>
        config.trans.__(
          'Open the market data panel (K-line, volume, moving averages)'
        ),
      icon: candlestickIcon,
      describedBy: {
        args: {
          type: 'object',
          properties: {
            symbol: {
              type: 'string',
              description: 'Symbol to show, e.g. 600519.SH'
            },
            id: {
              type: 'string',
              description:
                'Panel id (used by the layout restorer); an open panel with this id is activated'
            }
          }
        }
      },
      execute: async (args: ReadonlyPartialJSONObject) => {
        const id =
          typeof args.id === 'string' && args.id
            ? args.id
            : `jupyterlab-quant-market-${Date.now()}-${++counter}`;
        const open = tracker.find(w => w.id === id);
        if (open) {
          app.shell.activateById(id);
          return open;
        }
        const { MarketPanel } = await import('./panels/market');
        const symbol =
          typeof args.symbol === 'string'
            ? args.symbol
            : config.settings.defaultSymbol || null;
        const content = new MarketPanel({
          client,
          config,
          themeManager,
          symbol
        });
        const widget = new MainAreaWidget({ content });
        // Kept across reloads (restorer args) so the saved layout finds it.
        widget.id = id;
        widget.addClass('jp-QuantMarketWidget');
        widget.title.icon = candlestickIcon;
        widget.title.closable = true;
        widget.title.label = titleFor(null);
        content.symbolChanged.connect((_, selected) => {
          widget.title.label = titleFor(selected.symbol, selected.name);
          widget.title.caption = selected.symbol;
          void tracker.save(widget);
        });
        // Awaited: on restore, the layout restorer looks the widget up by its
        // tracker name right after this command resolves.
        await tracker.add(widget);
        app.shell.add(widget, 'main');
        app.shell.activateById(widget.id);
        return widget;
      }
    });

    // Categories stay "Quant" in every language: they group items across
    // extensions, and Lumino's palette search only matches from ASCII word
    // starts, so a Chinese category would make the item unsearchable.
    launcher?.add({
      command: CommandIDs.openMarket,
      // eslint-disable-next-line jupyter/no-untranslated-string
      category: 'Quant',
      rank: 0
    });
    // eslint-disable-next-line jupyter/no-untranslated-string
    palette?.addItem({ command: CommandIDs.openMarket, category: 'Quant' });

    let menu: MenuSvg | null = null;
    if (mainMenu) {
      menu = new MenuSvg({ commands: app.commands });
      menu.id = 'jp-mainmenu-quant';
      menu.title.label = config.trans.__('Quant');
      menu.addItem({ command: CommandIDs.openMarket });
      mainMenu.addMenu(menu, true, { rank: 90 });
    }

    if (restorer) {
      void restorer.restore(tracker, {
        command: CommandIDs.openMarket,
        args: widget => ({
          symbol: widget.content.symbol ?? '',
          id: widget.id
        }),
        name: widget => widget.id
      });
    }

    config.changed.connect(() => {
      if (menu) {
        menu.title.label = config.trans.__('Quant');
      }
      tracker.forEach(widget => {
        if (!widget.content.symbol) {
          widget.title.label = titleFor(null);
        }
      });
      app.commands.notifyCommandChanged(CommandIDs.openMarket);
    });

    if (settingRegistry) {
      settingRegistry
        .load(PLUGIN_ID)
        .then(settings => {
          applySettings(settings);
          settings.changed.connect(() => applySettings(settings));
        })
        .catch(reason => {
          console.error(
            `jupyterlab-quant: failed to load settings for ${PLUGIN_ID}.`,
            reason
          );
        });
    }
  }
};

export default plugin;
