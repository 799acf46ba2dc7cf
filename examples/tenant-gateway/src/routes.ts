// The gateway's HTTP routes: the authenticated order API, and the operator pages (metrics, traces,
// retention overrides, audit verification) that only answer on the loopback interface.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { SpanKind } from '@opentelemetry/api';
import {
  TENANT_ID_HEADER,
  renderRetentionOverrides,
  retentionOverridesYaml,
  runWithTenant,
  sendTenantError,
  verifyAuditLog,
  type TenantAccessErrorCode,
} from '@autoweave/tenant-isolation';
import { isLoopback, parseOrder, readBody, sendJson } from './http';
import type { Policies } from './policies';
import { UNKNOWN_TENANT, type Telemetry } from './telemetry';

const CODES = [
  'created',
  'bad_request',
  'rate_limited',
  'missing_credentials',
  'malformed_credentials',
  'unknown_key',
  'revoked_key',
  'expired_key',
  'ip_not_allowed',
  'origin_not_allowed',
  'tenant_mismatch',
] as const;

export type RequestHandler = (req: IncomingMessage, res: ServerResponse) => void;

export function createRoutes(policies: Policies, telemetry: Telemetry, auditFile: string): RequestHandler {
  const { resolve, limiter, registry, audit } = policies;
  const { metrics, tracing, logs } = telemetry;
  const log = logs.child({ component: 'orders' });

  const requests = metrics.counter({
    name: 'autoweave_gateway_requests_total',
    help: 'Order API requests by tenant and outcome. Refused requests count under the tenant they claimed in X-Tenant-ID (unverified; unknown ids become __unknown__).',
    labelNames: ['tenant_id', 'code'] as const,
    labelBounds: { code: { allow: CODES, allowOnly: true } },
  });

  const refuse = (req: IncomingMessage, code: TenantAccessErrorCode): void => {
    const claimed = req.headers[TENANT_ID_HEADER];
    requests.inc({ tenant_id: typeof claimed === 'string' ? claimed : UNKNOWN_TENANT, code });
    // Outside any tenant: this line goes to the platform's Loki org, never to a tenant's.
    logs.logger.warn(`request refused: ${code}`, { 'client.address': req.socket.remoteAddress });
  };

  const postOrder = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const resolved = resolve(req);
    if (!resolved.ok) {
      refuse(req, resolved.error.code);
      sendTenantError(res, resolved.error);
      return;
    }
    const tenant = resolved.tenant.id;
    const attributes = {
      'http.request.method': 'POST',
      'http.route': '/orders',
      'url.path': '/orders',
      'client.address': resolved.clientIp ?? 'unknown',
      'user_agent.original': req.headers['user-agent'] ?? '',
    };
    await runWithTenant(tenant, () =>
      tracing.withSpan(
        'POST /orders',
        async (span) => {
          const decision = limiter.checkRequest(tenant);
          if (!decision.allowed) {
            const retryAfter = decision.retryAfterSeconds;
            span.setAttribute('http.response.status_code', 429);
            requests.inc({ tenant_id: tenant, code: 'rate_limited' });
            // One line per refusal is what a flood costs in logs; acme's log budget caps it.
            log.warn('order refused: over the request rate', {
              retry_after_s: retryAfter,
              'client.address': resolved.clientIp,
            });
            const body = { error: 'rate_limited', retryAfterSeconds: retryAfter };
            sendJson(res, 429, body, { 'Retry-After': String(retryAfter) });
            return;
          }
          const order = parseOrder(await readBody(req));
          if (order === undefined) {
            span.setAttribute('http.response.status_code', 400);
            requests.inc({ tenant_id: tenant, code: 'bad_request' });
            sendJson(res, 400, {
              error: 'bad_request',
              message: 'send {"customerEmail", "card", "paymentToken", "items": 1-100} as JSON',
            });
            return;
          }
          const started = performance.now();
          const orderId = `ord_${randomUUID().slice(0, 8)}`;
          // customer.email is a sensitive attribute in tenants.yaml: it leaves encrypted under the tenant's key.
          span.setAttributes({
            'order.id': orderId,
            'order.items': order.items,
            'customer.email': order.customerEmail,
          });
          await tracing.withSpan('payment.charge', async (charge) => {
            // The kind of line developers do write; the redactor masks the card, e-mail and token.
            charge.setAttribute('payment.note', `charging card ${order.card} for ${order.customerEmail}`);
            log.info(`order ${orderId}: charging card ${order.card} for ${order.customerEmail}`, {
              'customer.email': order.customerEmail,
              payments_request: `POST /v1/charges Authorization: Bearer ${order.paymentToken}`,
              'client.address': resolved.clientIp,
            });
            await sleep(2);
          });
          metrics.recordBusinessOperation('order', tenant, {
            success: true,
            durationMs: performance.now() - started,
          });
          span.setAttribute('http.response.status_code', 201);
          requests.inc({ tenant_id: tenant, code: 'created' });
          sendJson(res, 201, { orderId, tenant });
        },
        { kind: SpanKind.SERVER, attributes },
      ),
    );
  };

  const operator = async (path: string, req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
    switch (path) {
      case '/metrics':
        metrics.handler(req, res);
        return true;
      case '/traces': {
        const url = new URL(req.url ?? '/', 'http://localhost');
        const tenant = url.searchParams.get('tenant') ?? undefined;
        sendJson(res, 200, tracing.recentTraces?.traces(tenant === undefined ? {} : { tenant }) ?? []);
        return true;
      }
      case '/retention':
      case '/retention/loki':
      case '/retention/tempo':
      case '/retention/mimir': {
        const files = retentionOverridesYaml(
          renderRetentionOverrides(
            registry.ids().map((id) => {
              const t = registry.get(id);
              return {
                id,
                orgId: t?.orgId ?? id,
                ...(t?.config.retention ? { retention: t.config.retention } : {}),
              };
            }),
          ),
        );
        const which = path.slice('/retention/'.length) as keyof typeof files | '';
        const body = which === '' ? `${files.loki}---\n${files.tempo}---\n${files.mimir}` : files[which];
        res.writeHead(200, { 'content-type': 'application/yaml; charset=utf-8' }).end(body);
        return true;
      }
      case '/audit/verify': {
        await audit.flush();
        const head = audit.head();
        const result = await verifyAuditLog(auditFile, { expectedHead: head });
        sendJson(res, 200, { file: auditFile, ...result });
        return true;
      }
      default:
        return false;
    }
  };

  return (req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const handle = async (): Promise<void> => {
      if (path === '/orders') {
        if (req.method !== 'POST') return void sendJson(res, 405, { error: 'use POST' }, { Allow: 'POST' });
        return postOrder(req, res);
      }
      if (
        req.method === 'GET' &&
        (path === '/metrics' ||
          path === '/traces' ||
          path.startsWith('/retention') ||
          path === '/audit/verify')
      ) {
        // Operator pages: no tenant key, so only from this machine.
        if (!isLoopback(req.socket.remoteAddress))
          return void sendJson(res, 403, { error: 'operator pages answer on loopback only' });
        if (await operator(path, req, res)) return;
      }
      sendJson(res, 404, {
        error: 'not_found',
        routes: ['POST /orders', 'GET /metrics', 'GET /traces', 'GET /retention', 'GET /audit/verify'],
      });
    };
    handle().catch((error: unknown) => {
      logs.logger.error('request failed', { error: error instanceof Error ? error.message : String(error) });
      if (!res.headersSent) sendJson(res, 500, { error: 'internal_error' });
      else res.end();
    });
  };
}
