// The HTTP server middleware: a SERVER span per request (W3C trace context extracted), the request
// counter and duration histogram with bounded labels, the availability SLO, and the tenant context.
import type { IncomingMessage } from 'node:http';
import {
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  context,
  propagation,
  trace,
  type Attributes,
  type Context,
  type Span,
  type Tracer,
} from '@opentelemetry/api';
import type { MetricsCounter, MetricsHandle, MetricsHistogram } from '@autoweave/metrics';
import type { SloRecorder } from '@autoweave/sli-slo';
import {
  TENANT_ATTRIBUTE,
  TENANT_BAGGAGE_KEY,
  isValidTenantId,
  runWithTenant,
} from '@autoweave/tenant-isolation';
import type { HttpMiddleware, HttpMiddlewareOptions } from './types';

export const REQUESTS_METRIC = 'autoweave_requests_total';
export const REQUEST_DURATION_METRIC = 'autoweave_http_request_duration_seconds';
/** The `route` label (and no `http.route`) of a path that is not a known route. */
export const OTHER_ROUTE = 'other';
const DEFAULT_ROUTES: readonly string[] = ['/graphql'];

const KNOWN_METHODS = new Set([
  'GET',
  'HEAD',
  'POST',
  'PUT',
  'DELETE',
  'CONNECT',
  'OPTIONS',
  'TRACE',
  'PATCH',
]);

type Labels = 'method' | 'route' | 'status_class';

/** The request metrics, defined once per metrics handle and shared by every middleware. */
export interface HttpInstruments {
  readonly requests: MetricsCounter<Labels>;
  readonly duration: MetricsHistogram<Labels>;
}

export function defineHttpInstruments(metrics: MetricsHandle): HttpInstruments {
  const labelNames = ['method', 'route', 'status_class'] as const;
  // Routes and methods are bounded before they get here; status_class has six values.
  return {
    requests: metrics.counter({
      name: REQUESTS_METRIC,
      help: 'HTTP requests answered, by method, route (known routes, else "other") and status class.',
      labelNames,
    }),
    duration: metrics.histogram({
      name: REQUEST_DURATION_METRIC,
      help: 'Time from receiving an HTTP request to the end of its response.',
      labelNames,
    }),
  };
}

export interface HttpTelemetry {
  /** Undefined when tracing is off: no span, no context extraction. */
  readonly tracer: Tracer | undefined;
  /** Undefined when metrics are off. */
  readonly instruments: HttpInstruments | undefined;
  /** The availability SLO's recorder, when SLOs are on and evaluate `availability`. */
  readonly availability: SloRecorder | undefined;
  readonly counters: { exported: number; internalErrors: number };
}

interface RouteMatcher {
  (path: string): string | undefined;
}

function matcher(patterns: readonly string[]): RouteMatcher {
  const exact = new Set<string>();
  const prefixes: string[] = [];
  for (const p of patterns) {
    if (p.endsWith('/*')) prefixes.push(p.slice(0, -1));
    else exact.add(p);
  }
  return (path) => {
    if (exact.has(path)) return path;
    for (const prefix of prefixes) if (path.startsWith(prefix)) return `${prefix}*`;
    return undefined;
  };
}

function pathOf(url: string | undefined): string {
  if (url === undefined) return '/';
  const q = url.indexOf('?');
  return q < 0 ? url : url.slice(0, q);
}

function statusClass(code: number): string {
  return code >= 100 && code < 600 ? `${Math.floor(code / 100)}xx` : 'unknown';
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** The request's remote context, minus any `tenant.id` baggage: a tenant comes from credentials only. */
function extractParent(req: IncomingMessage): Context {
  const ctx = propagation.extract(ROOT_CONTEXT, req.headers);
  const baggage = propagation.getBaggage(ctx);
  if (baggage?.getEntry(TENANT_BAGGAGE_KEY) === undefined) return ctx;
  return propagation.setBaggage(ctx, baggage.removeEntry(TENANT_BAGGAGE_KEY));
}

function requestAttributes(
  req: IncomingMessage,
  method: string,
  path: string,
  route: string | undefined,
): Attributes {
  const attributes: Attributes = {
    'http.request.method': method,
    'url.path': path,
    'url.scheme': (req.socket as { encrypted?: boolean } | undefined)?.encrypted === true ? 'https' : 'http',
    'network.protocol.version': req.httpVersion,
  };
  if (method === '_OTHER') attributes['http.request.method_original'] = req.method ?? '';
  if (route !== undefined) attributes['http.route'] = route;
  const host = header(req, 'host');
  if (host !== undefined) {
    const colon = host.lastIndexOf(':');
    const port = colon > 0 && !host.endsWith(']') ? Number(host.slice(colon + 1)) : Number.NaN;
    attributes['server.address'] = Number.isInteger(port) ? host.slice(0, colon) : host;
    if (Number.isInteger(port)) attributes['server.port'] = port;
  }
  const ua = header(req, 'user-agent');
  if (ua !== undefined) attributes['user_agent.original'] = ua;
  const client = req.socket?.remoteAddress;
  if (client !== undefined) attributes['client.address'] = client;
  return attributes;
}

function resolveTenant(
  authenticate: HttpMiddlewareOptions['authenticate'],
  req: IncomingMessage,
): string | undefined {
  if (authenticate === undefined) return undefined;
  try {
    const id = authenticate(req);
    return isValidTenantId(id) ? id : undefined;
  } catch {
    // A failing authenticate means "anonymous": the app's own auth decides what the request may do.
    return undefined;
  }
}

export function createHttpMiddleware(
  telemetry: HttpTelemetry,
  options: HttpMiddlewareOptions = {},
): HttpMiddleware {
  const { authenticate } = options;
  const runNext = (tenant: string | undefined, next: () => void): void => {
    if (tenant === undefined) next();
    else runWithTenant(tenant, next);
  };
  const { tracer, instruments, availability, counters } = telemetry;
  if (tracer === undefined && instruments === undefined && availability === undefined) {
    return (req, _res, next) => runNext(resolveTenant(authenticate, req), next);
  }
  const ignored = matcher(options.ignorePaths ?? []);
  const routeOf = matcher(options.routes ?? DEFAULT_ROUTES);

  return (req, res, next) => {
    const path = pathOf(req.url);
    if (ignored(path) !== undefined) {
      runNext(resolveTenant(authenticate, req), next);
      return;
    }
    const started = performance.now();
    const method = KNOWN_METHODS.has(req.method ?? '') ? (req.method as string) : '_OTHER';
    const route = routeOf(path);
    const tenant = resolveTenant(authenticate, req);
    let span: Span | undefined;
    let ctx: Context = context.active();
    try {
      if (tracer !== undefined) {
        const parent = extractParent(req);
        const attributes = requestAttributes(req, method, path, route);
        if (tenant !== undefined) attributes[TENANT_ATTRIBUTE] = tenant;
        // Semantic conventions: an unknown method is named `HTTP` in the span name.
        const verb = method === '_OTHER' ? 'HTTP' : method;
        span = tracer.startSpan(
          route === undefined ? verb : `${verb} ${route}`,
          { kind: SpanKind.SERVER, attributes },
          parent,
        );
        ctx = trace.setSpan(parent, span);
      }
    } catch {
      counters.internalErrors++;
    }

    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      try {
        const code = res.statusCode;
        const aborted = !res.writableFinished;
        const labels = { method, route: route ?? OTHER_ROUTE, status_class: statusClass(code) };
        if (instruments !== undefined) {
          instruments.requests.inc(labels);
          instruments.duration.observe(labels, (performance.now() - started) / 1000);
        }
        availability?.record(code < 500);
        if (span !== undefined) {
          span.setAttribute('http.response.status_code', code);
          if (code >= 500) {
            span.setAttribute('error.type', String(code));
            span.setStatus({ code: SpanStatusCode.ERROR });
          } else if (aborted) {
            span.setAttribute('error.type', 'aborted');
          }
          span.end();
        }
        counters.exported++;
      } catch {
        counters.internalErrors++;
      }
    };
    res.once('finish', finish);
    res.once('close', finish);
    context.with(ctx, () => runNext(tenant, next));
  };
}
