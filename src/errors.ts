/**
 * How a failure is shown to the user, shared by the market (行情) and
 * backtest (回测) panels.
 */
import { QuantApiError } from './api';
import type { ITrans } from './i18n';

/** An error as shown to the user. */
export interface IShownError {
  message: string;
  hint: string | null;
}

/**
 * Turn any failure into a readable message: the server's own when given
 * (already in Chinese with English in parentheses, saying what to do) or a
 * translated client-side one.
 */
export function describeError(error: unknown, trans: ITrans): IShownError {
  if (error instanceof QuantApiError) {
    // Errors made up by the client are translated here; the server's own
    // messages are shown as sent.
    switch (error.code) {
      case 'extension_unavailable':
        return {
          message: trans.__(
            'The jupyterlab-quant server extension did not answer (HTTP 404).'
          ),
          hint: trans.__(
            'Check that `jupyter server extension list` shows jupyterlab_quant enabled, then restart JupyterLab.'
          )
        };
      case 'network_error':
        return {
          message: trans.__('Cannot reach the Jupyter server.'),
          hint: trans.__('Check that JupyterLab is still running.')
        };
      case 'bad_response':
        return {
          message: trans.__(
            'The server answered with something that is not JSON.'
          ),
          hint: null
        };
      default:
        if (error.code.startsWith('http_')) {
          return {
            message: trans.__('Server error (HTTP %1).', error.status),
            hint: error.hint
          };
        }
        return { message: error.message, hint: error.hint };
    }
  }
  return {
    message: error instanceof Error ? error.message : String(error),
    hint: null
  };
}
