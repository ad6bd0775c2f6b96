import { ServerConnection } from '@jupyterlab/services';

import {
  buildQuery,
  dashboardUrl,
  errorFromResponse,
  QuantApiError
} from '../api';

function jsonResponse(status: number, body: unknown): Response {
  return {
    status,
    ok: status < 400,
    statusText: '',
    text: () => Promise.resolve(JSON.stringify(body))
  } as unknown as Response;
}

describe('buildQuery', () => {
  it('drops empty parameters', () => {
    expect(
      buildQuery({ symbol: '600519.SH', start: undefined, q: '', limit: 20 })
    ).toBe('?symbol=600519.SH&limit=20');
    expect(buildQuery({})).toBe('');
  });

  it('encodes Chinese text', () => {
    expect(buildQuery({ q: '茅台' })).toBe(`?q=${encodeURIComponent('茅台')}`);
  });
});

describe('dashboardUrl', () => {
  it('points at the dashboards route under the server base URL', () => {
    const settings = ServerConnection.makeSettings({
      baseUrl: 'http://localhost:8888/user/me/'
    });
    expect(
      dashboardUrl(
        'tearsheet',
        { report: '0123456789ab', lang: 'zh' },
        settings
      )
    ).toBe(
      'http://localhost:8888/user/me/jupyterlab-quant/dashboards/tearsheet?report=0123456789ab&lang=zh'
    );
    expect(dashboardUrl('monitor', {}, settings)).toBe(
      'http://localhost:8888/user/me/jupyterlab-quant/dashboards/monitor'
    );
  });
});

describe('errorFromResponse', () => {
  it("keeps the server's message, code and hint", async () => {
    const error = await errorFromResponse(
      jsonResponse(404, {
        error: 'unknown_symbol',
        message: '未知代码 999999.SH',
        hint: '用 jlq data symbols 查看'
      })
    );
    expect(error).toBeInstanceOf(QuantApiError);
    expect(error.status).toBe(404);
    expect(error.code).toBe('unknown_symbol');
    expect(error.message).toBe('未知代码 999999.SH');
    expect(error.hint).toBe('用 jlq data symbols 查看');
    expect(error.isNotFound).toBe(true);
  });

  it('explains a missing server extension', async () => {
    const response = {
      status: 404,
      ok: false,
      statusText: 'Not Found',
      text: () => Promise.resolve('<html>404</html>')
    } as unknown as Response;
    const error = await errorFromResponse(response);
    expect(error.code).toBe('extension_unavailable');
  });

  it('falls back to the HTTP status', async () => {
    const error = await errorFromResponse(jsonResponse(500, { oops: 1 }));
    expect(error.code).toBe('http_500');
    expect(error.status).toBe(500);
  });
});
