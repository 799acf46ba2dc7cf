// The demo's /debug routes: GET /debug (a live HTML page) and GET /debug/data (the same data as JSON).
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { buildDebugData, debugLimits, traceFilterFrom, type DebugDataOptions } from './data';
import { renderPage } from './page';
import type { DebugSources } from './types';

export type {
  DebugData,
  DebugDataOptions,
  DebugSpanRow,
  DebugTelemetryRow,
  DebugTrace,
  TraceFilter,
} from './data';
export { buildDebugData, debugLimits, traceFilterFrom } from './data';
export { LOW_BUDGET, summarizeSlo, summarizeSlos, type SloHealth, type SloSummary } from './slo-summary';
export type { ActiveAlert, DebugSources, SignalCounters, TelemetryCounters, TenantActivity } from './types';

function send(
  res: ServerResponse,
  status: number,
  type: string,
  body: string,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, {
    'content-type': type,
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    ...headers,
  });
  res.end(body);
}

/**
 * A request handler for GET /debug and GET /debug/data that returns true when it answered, false
 * for any other path (so the caller's router goes on). Options are checked here, once.
 */
export function createDebugRoutes(
  sources: DebugSources,
  options: DebugDataOptions = {},
): (req: IncomingMessage, res: ServerResponse) => boolean {
  const limits = debugLimits(options);
  return (req, res) => {
    const url = new URL(req.url ?? '/', 'http://debug.invalid');
    const path = url.pathname;
    if (path !== '/debug' && path !== '/debug/' && path !== '/debug/data') return false;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      send(res, 405, 'text/plain; charset=utf-8', 'method not allowed: use GET\n', { allow: 'GET, HEAD' });
      return true;
    }
    const data = buildDebugData(sources, limits, traceFilterFrom(url.searchParams));
    if (path === '/debug/data') {
      send(res, 200, 'application/json; charset=utf-8', JSON.stringify(data));
      return true;
    }
    // Escaping is the defence; the CSP is the second one: should a string ever slip through, the
    // browser still runs no script but ours and loads nothing from anywhere.
    const nonce = randomBytes(16).toString('base64');
    send(res, 200, 'text/html; charset=utf-8', renderPage(data, nonce), {
      'content-security-policy': `default-src 'none'; script-src 'nonce-${nonce}'; style-src 'unsafe-inline'; connect-src 'self'; img-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`,
      'referrer-policy': 'no-referrer',
    });
    return true;
  };
}
