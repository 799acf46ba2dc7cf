// The `/metrics` endpoint: content negotiation between OpenMetrics and Prometheus text, and a
// handler that turns every failure into a 500 response instead of an exception.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Exposition, ExpositionFormat, MetricsRequestHandler } from './types';

function quality(params: string[]): number {
  for (const p of params) {
    const [k, v] = p.split('=').map((s) => s.trim());
    if (k === 'q' && v !== undefined) {
      const q = Number(v);
      return Number.isFinite(q) ? q : 0;
    }
  }
  return 1;
}

/**
 * OpenMetrics when the `Accept` header asks for `application/openmetrics-text` at least as strongly
 * as for the Prometheus text format (what Prometheus itself sends); Prometheus text otherwise.
 */
export function negotiateFormat(accept: string | readonly string[] | undefined): ExpositionFormat {
  const header: string = typeof accept === 'string' ? accept : (accept ?? []).join(',');
  let openMetrics = 0;
  let text = 0;
  for (const part of header.split(',')) {
    const [type = '', ...params] = part.split(';').map((s) => s.trim().toLowerCase());
    const q = quality(params);
    if (type === 'application/openmetrics-text') openMetrics = Math.max(openMetrics, q);
    else if (type === 'text/plain' || type === '*/*' || type === 'text/*') text = Math.max(text, q);
  }
  return openMetrics > 0 && openMetrics >= text ? 'openmetrics' : 'prometheus';
}

function fail(res: ServerResponse, status: number, message: string): void {
  try {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    res.statusCode = status;
    res.setHeader('Content-Type', 'text/plain; charset=utf-8');
    res.end(`${message}\n`);
  } catch {
    // the socket is gone; nothing left to tell
  }
}

export function createHandler(
  collect: (format: ExpositionFormat) => Promise<Exposition>,
): MetricsRequestHandler {
  return (req: IncomingMessage, res: ServerResponse): void => {
    let format: ExpositionFormat;
    try {
      format = negotiateFormat(req.headers.accept);
    } catch {
      format = 'prometheus';
    }
    collect(format).then(
      ({ contentType, body }) => {
        try {
          res.statusCode = 200;
          res.setHeader('Content-Type', contentType);
          res.end(req.method === 'HEAD' ? undefined : body);
        } catch (err) {
          fail(res, 500, `metrics response failed: ${err instanceof Error ? err.message : String(err)}`);
        }
      },
      (err: unknown) =>
        fail(res, 500, `metrics collection failed: ${err instanceof Error ? err.message : String(err)}`),
    );
  };
}
