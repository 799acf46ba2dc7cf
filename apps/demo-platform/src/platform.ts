// The demo platform: USB watcher, plugin loader, BullMQ queue and worker and a GraphQL API behind
// per-tenant API keys, observed through @autoweave/observability, with health, readiness, metrics,
// /debug and an Alertmanager webhook; started and stopped as one.
import { mkdirSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import type { AddressInfo } from 'node:net';
import { createYoga, type Plugin } from 'graphql-yoga';
import { initializeObservability, type ObservabilityManager } from '@autoweave/observability';
import {
  createAuditLog,
  createTenantResolver,
  loadTenantRegistry,
  runWithTenant,
  sendTenantError,
  type AuditEventInput,
  type ResolveTenantResult,
} from '@autoweave/tenant-isolation';
import { createPluginLoader, type PluginLoader } from '@autoweave/integration-plugins';
import { TenantActivityLog } from './activity';
import { AlertStore, parseAlertmanagerPayload } from './alerts';
import { APP_DIR, type DemoConfig } from './config';
import { createDebugRoutes } from './debug';
import { BodyTooLargeError, pathOf, readBody, sendJson } from './http';
import { createJobs } from './jobs';
import { findRedis, type DemoRedis } from './redis';
import { createDemoSchema, type DemoContext, type PluginInfo } from './schema';
import { createUsbSide, type UsbSide } from './usb';

export const SERVICE_NAME = 'autoweave-demo-platform';
const MAX_GRAPHQL_BODY = 1024 * 1024;
const MAX_WEBHOOK_BODY = 1024 * 1024;
/** Every route the middleware labels; other paths are `other`, so clients cannot create series. */
const ROUTES = ['/graphql', '/webhooks/alertmanager'];
/** Probes and pages that are not API traffic: no span, no request metrics. */
const UNOBSERVED = ['/metrics', '/healthz', '/readyz', '/debug', '/debug/*', '/favicon.ico'];

export interface Platform {
  readonly url: string;
  readonly config: DemoConfig;
  readonly redis: DemoRedis;
  readonly usb: UsbSide;
  readonly obs: ObservabilityManager;
  readonly auditFile: string;
  readonly tenants: readonly string[];
  readonly plugins: () => readonly PluginInfo[];
  /** Stop accepting, drain the worker, flush telemetry, release everything. Idempotent. */
  shutdown(): Promise<{ drained: boolean }>;
}

/** Starts everything; throws (after undoing what had started) when something cannot start. */
export async function startPlatform(
  config: DemoConfig,
  say: (message: string) => void = () => undefined,
): Promise<Platform> {
  const cleanups: Array<() => Promise<unknown>> = [];
  const undo = async (): Promise<void> => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  };
  try {
    return await start(config, say, cleanups);
  } catch (error) {
    await undo();
    throw error;
  }
}

async function start(
  config: DemoConfig,
  say: (message: string) => void,
  cleanups: Array<() => Promise<unknown>>,
): Promise<Platform> {
  const auditFile = resolve(
    config.auditFile ?? join(tmpdir(), 'autoweave-demo', `audit-${config.port}.jsonl`),
  );
  mkdirSync(dirname(auditFile), { recursive: true });
  const auditLog = createAuditLog({ file: auditFile });
  cleanups.push(() => auditLog.close());

  // Audit events are logged too once the logger exists (the registry is read before it is made).
  const auditLogger: { current?: ObservabilityManager['logger']['logger'] } = {};
  const audit = {
    record(event: AuditEventInput): void {
      auditLog.record(event);
      auditLogger.current?.warn('audit event', {
        component: 'auth',
        event: event.type,
        tenant: event.tenant,
        code: (event.data as { code?: unknown } | undefined)?.code,
      });
    },
  };
  const registry = await loadTenantRegistry(config.tenantsFile, { audit });
  const tenants = registry.ids();

  const off = !config.observability;
  const obs = initializeObservability({
    // OTEL_SERVICE_NAME wins, as it does for any OpenTelemetry SDK.
    serviceName: process.env.OTEL_SERVICE_NAME || SERVICE_NAME,
    serviceVersion: '0.0.0',
    environment: config.environment,
    samplingRate: config.samplingRate,
    ...(config.otlpEndpoint === undefined ? {} : { otlpEndpoint: config.otlpEndpoint }),
    ...(config.lokiUrl === undefined ? {} : { lokiEndpoint: config.lokiUrl }),
    tenants,
    // With the switch off every facade flag is off: the overhead benchmark's baseline.
    ...(off
      ? {
          enableTracing: false,
          enableMetrics: false,
          enableLogging: false,
          enableHealthMonitoring: false,
          enableSlo: false,
        }
      : {}),
  });
  cleanups.push(() => obs.shutdown());
  await obs.initialize();
  auditLogger.current = obs.logger.logger;
  const logger = obs.logger.child({ component: 'platform' });

  const redis = await findRedis(config.redisUrl, say);
  cleanups.push(() => redis.stop());

  const usb = createUsbSide({
    mode: config.usb,
    simulateIntervalMs: config.usbSimulateIntervalMs,
    logger: obs.logger.child({ component: 'usb' }),
  });
  if (usb.watcher !== undefined) obs.instrumentUSBDaemon(usb.watcher);
  await usb.start();
  cleanups.push(() => usb.stop());

  const activity = new TenantActivityLog(tenants);
  const { loader, plugins } = await startPlugins(obs, logger);
  cleanups.push(() => loader.close());

  const jobLogger = obs.logger.child({ component: 'worker' });
  const redisErrors = new Set<string>();
  const jobs = createJobs({
    redisUrl: redis.url,
    prefix: config.queuePrefix,
    telemetry: obs.bullmqTelemetry(),
    run: async (plugin, input, tenant) => {
      activity.count(tenant, 'pluginRuns');
      // Inside the job's span and tenant: this line carries the trace id and goes to the tenant's Loki org.
      jobLogger.info('running plugin', { plugin });
      const result = await loader.execute(plugin, input, { tenantId: tenant });
      jobLogger.info('plugin finished', { plugin });
      return result;
    },
    onRedisError: (error) => {
      // Once per distinct message: a Redis outage would otherwise log every reconnect attempt.
      if (redisErrors.has(error.message) || redisErrors.size > 100) return;
      redisErrors.add(error.message);
      logger.error('Redis error (BullMQ reconnects by itself)', { error: error.message });
    },
  });
  jobs.worker.on('completed', () => redisErrors.clear());
  jobs.worker.on('failed', (job, error) =>
    jobLogger.warn('job attempt failed', { jobId: job?.id, plugin: job?.data.plugin, error: error.message }),
  );
  cleanups.push(() => jobs.close());
  obs.instrumentQueueManager({ queues: [jobs.queue], workers: [jobs.worker] });

  const alerts = new AlertStore();
  const notifications = obs.metrics.counter({
    name: 'autoweave_alertmanager_notifications_total',
    help: 'Alertmanager webhook notifications received, by their status (invalid: refused with 400).',
    labelNames: ['status'] as const,
    labelBounds: { status: { allow: ['firing', 'resolved', 'invalid'], allowOnly: true } },
  });

  const yoga = createYoga<DemoContext>({
    schema: createDemoSchema({
      jobs,
      usb,
      plugins,
      slo: () => (obs.config.enableSlo ? obs.slo.snapshot() : undefined),
      onEnqueued: (tenant) => activity.count(tenant, 'jobs'),
      onQueueError: (error) => logger.warn('queue call failed', { error: (error as Error).message }),
    }),
    plugins: [
      obs.graphqlPlugin({
        operationNames: ['Devices', 'Plugins', 'Job', 'SloStatus', 'RunPlugin', 'SimulateUsbEvent'],
        logger: obs.logger.child({ component: 'graphql' }),
      }),
      countErrors(activity),
    ],
    graphqlEndpoint: '/graphql',
    graphiql: false,
    landingPage: false,
    logging: false,
  });

  const resolveTenant = createTenantResolver(registry, { audit });
  const authResults = new WeakMap<IncomingMessage, ResolveTenantResult>();
  const authenticate = (req: IncomingMessage): ResolveTenantResult => {
    let result = authResults.get(req);
    if (result === undefined) {
      result = resolveTenant(req);
      authResults.set(req, result);
    }
    return result;
  };
  const middleware = obs.createHTTPMiddleware({
    authenticate: (req) => {
      if (pathOf(req) !== '/graphql') return undefined;
      const result = authenticate(req);
      return result.ok ? result.tenant.id : undefined;
    },
    ignorePaths: UNOBSERVED,
    routes: ROUTES,
  });
  const metricsHandler = obs.metricsHandler();
  const debug = createDebugRoutes({
    traces: () => obs.recentTraces?.traces() ?? [],
    slo: () => (obs.config.enableSlo ? obs.slo.snapshot() : undefined),
    tenants: () => activity.list(),
    telemetry: () => obs.stats(),
    alerts: () => alerts.list(),
    platform: () => ({
      usbMode: usb.mode,
      usbDetail: usb.describe(),
      observability: config.observability ? 'on' : 'off',
      samplingRate: config.samplingRate,
    }),
  });

  let stopping = false;
  const started = Date.now();

  const healthz = (res: ServerResponse): void =>
    sendJson(res, 200, {
      status: 'ok',
      uptimeSeconds: Math.round((Date.now() - started) / 1000),
      usb: {
        mode: usb.mode,
        simulated: usb.mode === 'simulate',
        description: usb.describe(),
        ...usb.health(),
      },
      observability: config.observability ? 'on' : 'off',
    });

  const readyz = async (res: ServerResponse): Promise<void> => {
    const redisOk = await jobs.redisReady();
    const workerOk = jobs.worker.isRunning();
    const telemetry = obs.health();
    const checks = {
      redis: { status: redisOk ? 'ok' : 'down', detail: redis.origin },
      worker: { status: workerOk ? 'ok' : 'down' },
      exporters: telemetry,
      usb: { status: usb.health().state, mode: usb.mode, simulated: usb.mode === 'simulate' },
    };
    // Telemetry trouble is reported, never turned into "not ready": the app still serves.
    const status = stopping
      ? 'stopping'
      : !redisOk || !workerOk
        ? 'not_ready'
        : telemetry.status === 'degraded'
          ? 'degraded'
          : 'ready';
    sendJson(res, status === 'ready' || status === 'degraded' ? 200 : 503, { status, checks });
  };

  const webhook = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    let body: unknown;
    try {
      const raw = await readBody(req, MAX_WEBHOOK_BODY);
      body = JSON.parse(raw.toString('utf8'));
    } catch (error) {
      notifications.inc({ status: 'invalid' });
      const tooLarge = error instanceof BodyTooLargeError;
      sendJson(res, tooLarge ? 413 : 400, {
        error: tooLarge ? 'payload too large' : 'invalid Alertmanager webhook payload',
        problems: [
          tooLarge ? (error as Error).message : `body: not valid JSON (${(error as Error).message})`,
        ],
      });
      return;
    }
    const parsed = parseAlertmanagerPayload(body);
    if (!parsed.ok) {
      notifications.inc({ status: 'invalid' });
      logger.warn('refused an Alertmanager webhook payload', { problems: parsed.problems });
      sendJson(res, 400, { error: 'invalid Alertmanager webhook payload', problems: parsed.problems });
      return;
    }
    const { notification } = parsed;
    notifications.inc({ status: notification.status });
    alerts.add(notification);
    logger.info('Alertmanager notification', {
      status: notification.status,
      receiver: notification.receiver,
      alerts: notification.alerts.map((a) => `${a.labels.alertname ?? '?'}:${a.status}`),
    });
    sendJson(res, 200, { accepted: notification.alerts.length });
  };

  const graphql = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const auth = authenticate(req);
    if (!auth.ok) {
      // A valid key used with a different X-Tenant-ID (403) counts against the key's tenant.
      activity.count(auth.error.tenantId, 'errors');
      sendTenantError(res, auth.error);
      return;
    }
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > MAX_GRAPHQL_BODY) {
      sendJson(res, 413, { error: `body: ${declared} bytes; at most ${MAX_GRAPHQL_BODY} are accepted` });
      return;
    }
    const tenant = auth.tenant.id;
    activity.count(tenant, 'requests');
    await runWithTenant(tenant, () => yoga.handle(req, res, { tenant }));
  };

  const route = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = pathOf(req);
    if (path === '/graphql') return graphql(req, res);
    if (path === '/healthz' && req.method === 'GET') return healthz(res);
    if (path === '/readyz' && req.method === 'GET') return readyz(res);
    if (path === '/metrics' && req.method === 'GET') return metricsHandler(req, res);
    if (path === '/webhooks/alertmanager') {
      if (req.method !== 'POST') {
        res.setHeader('Allow', 'POST');
        return sendJson(res, 405, { error: 'POST an Alertmanager webhook payload (version 4) here' });
      }
      return webhook(req, res);
    }
    if (debug(req, res)) return;
    if (path === '/' && req.method === 'GET') {
      res.writeHead(302, { Location: '/debug' }).end();
      return;
    }
    sendJson(res, 404, {
      error: `no route ${req.method} ${path}`,
      routes: ['/graphql', '/metrics', '/healthz', '/readyz', '/debug', '/webhooks/alertmanager'],
    });
  };

  const server: Server = createServer((req, res) => {
    if (stopping) res.setHeader('Connection', 'close');
    middleware(req, res, () => {
      route(req, res).catch((error: unknown) => {
        logger.error('request failed', { path: pathOf(req), error: (error as Error).message });
        sendJson(res, 500, { error: 'internal error' });
      });
    });
  });
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => {
      server.off('error', reject);
      resolveListen();
    });
  });
  cleanups.push(() => closeServer(server));
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${host === '0.0.0.0' || host === '[::]' ? '127.0.0.1' : host}:${address.port}`;
  logger.info('demo platform started', {
    url,
    usb: usb.mode,
    observability: config.observability ? 'on' : 'off',
  });

  let shutdownPromise: Promise<{ drained: boolean }> | undefined;
  const shutdown = (): Promise<{ drained: boolean }> => {
    shutdownPromise ??= (async () => {
      stopping = true;
      // 1. Stop accepting; requests in flight finish (their jobs are in Redis once they answered).
      await closeServer(server);
      // 2. Drain the worker: running jobs finish, waiting ones stay in Redis for the next start.
      const { drained } = await jobs.close();
      logger.info('worker drained', { drained });
      await usb.stop();
      await loader.close();
      await auditLog.close().catch(() => undefined);
      // 3. Flush telemetry last, so the shutdown's own spans and logs go out too.
      await obs.shutdown();
      await redis.stop();
      return { drained };
    })();
    return shutdownPromise;
  };

  return { url, config, redis, usb, obs, auditFile, tenants, plugins, shutdown };
}

async function startPlugins(
  obs: ObservabilityManager,
  logger: { warn(message: string, meta?: Record<string, unknown>): unknown },
): Promise<{ loader: PluginLoader; plugins: () => PluginInfo[] }> {
  const pluginLogger = obs.logger.child({ component: 'plugin' });
  const loader = createPluginLoader({
    directory: resolve(APP_DIR, 'plugins'),
    allowedPermissions: ['network'],
    logger: pluginLogger,
  });
  // Instrumented before loading, so the loads are traced and measured too.
  obs.instrumentPluginLoader(loader);
  const discovered = await loader.discover();
  for (const found of discovered) {
    if (found.error !== undefined) {
      logger.warn('plugin refused', { plugin: found.name, error: found.error.message });
      continue;
    }
    try {
      await loader.load(found.name);
    } catch (error) {
      logger.warn('plugin failed to load', { plugin: found.name, error: (error as Error).message });
    }
  }
  const plugins = (): PluginInfo[] =>
    discovered.flatMap((found) =>
      found.manifest === undefined
        ? []
        : [
            {
              name: found.manifest.name,
              version: found.manifest.version,
              permissions: found.manifest.permissions,
              timeoutMs: found.manifest.timeoutMs,
              loaded: loader.get(found.name) !== undefined,
            },
          ],
    );
  return { loader, plugins };
}

/** Counts operations whose result has errors against the caller's tenant. */
function countErrors(activity: TenantActivityLog): Plugin<DemoContext> {
  return {
    onExecute: () => ({
      onExecuteDone: ({ args, result }) => {
        if ('errors' in result && result.errors !== undefined && result.errors.length > 0) {
          activity.count((args.contextValue as Partial<DemoContext>).tenant, 'errors');
        }
      },
    }),
  };
}

/** Stops accepting connections and resolves once the open ones have finished their requests. */
function closeServer(server: Server): Promise<void> {
  if (!server.listening) return Promise.resolve();
  return new Promise((resolveClose) => {
    server.close(() => resolveClose());
    server.closeIdleConnections();
    // Keep-alive connections busy now become idle after their response: close them then.
    const sweep = setInterval(() => server.closeIdleConnections(), 100);
    sweep.unref();
    server.once('close', () => clearInterval(sweep));
  });
}
