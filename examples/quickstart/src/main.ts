// The quickstart: a tiny "order service" that emits real traces, metrics and logs through
// @autoweave/tracing, -metrics and -logging for two tenants, serves /metrics and /traces, and
// prints where every signal went. `--once` does one round and exits (used by the test and CI).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { createLogger } from '@autoweave/logging';
import { createMetrics } from '@autoweave/metrics';
import { runWithTenant } from '@autoweave/tenant-isolation';
import { startTracing } from '@autoweave/tracing';

const TENANTS = ['acme', 'globex'] as const;

async function main(): Promise<void> {
  const once = process.argv.includes('--once');
  const port = Number(process.env.PORT ?? 9464);
  const otlp = process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
  const lokiUrl = process.env.LOKI_URL;

  const metrics = createMetrics();
  const tracing = startTracing({
    serviceName: 'quickstart',
    serviceVersion: '0.0.0',
    environment: 'development',
    meterProvider: metrics.meterProvider,
    // keep the in-process buffer even when exporting, so /traces always works
    recentTraces: true,
  });
  const logs = createLogger({
    service: 'quickstart',
    environment: 'development',
    meterProvider: metrics.meterProvider,
    ...(lokiUrl ? { loki: { url: lokiUrl, tenants: TENANTS } } : {}),
  });
  const log = logs.child({ component: 'orders' });

  const orderDuration = metrics.histogram({
    name: 'autoweave_quickstart_order_duration_seconds',
    help: 'Time to process one order.',
    labelNames: ['tenant_id', 'outcome'],
  });

  const processOrder = (tenant: string, n: number) =>
    runWithTenant(tenant, () =>
      tracing.withSpan('order.process', async (span) => {
        span.setAttribute('order.items', n);
        const started = performance.now();
        await tracing.withSpan('inventory.reserve', () => sleep(2 + n));
        const ok = n % 4 !== 0;
        try {
          await tracing.withSpan('payment.charge', async () => {
            await sleep(3);
            if (!ok) throw new Error('card declined');
          });
          log.info('order processed', { items: n });
        } catch (err) {
          log.warn('order failed', { items: n, error: (err as Error).message });
        }
        const seconds = (performance.now() - started) / 1000;
        const outcome = ok ? 'success' : 'failure';
        orderDuration.observe({ tenant_id: tenant, outcome }, seconds);
        metrics.recordBusinessOperation('order', tenant, { success: ok, durationMs: seconds * 1000 });
      }),
    );

  const server = await serve(
    port,
    (path) => {
      if (path === '/traces')
        return { type: 'application/json', body: JSON.stringify(tracing.recentTraces?.traces() ?? []) };
      return undefined;
    },
    metrics.handler,
  );
  const address = server.address();
  const base = typeof address === 'object' && address !== null ? `http://127.0.0.1:${address.port}` : '';

  let round = 0;
  const runRound = async () => {
    round++;
    await Promise.all(TENANTS.flatMap((tenant) => [1, 2, 3, 4].map((n) => processOrder(tenant, n + round))));
  };
  await runRound();
  await tracing.forceFlush();

  const recent = tracing.recentTraces?.traces() ?? [];
  const report = [
    '',
    'Where the signals went:',
    `  traces   ${otlp ? `OTLP/gRPC to ${otlp} (and ` : '('}in-process buffer: ${recent.length} traces, ${base}/traces)`,
    `  metrics  ${base}/metrics (Prometheus text; OpenMetrics with exemplars on Accept: application/openmetrics-text)`,
    `  logs     stdout as JSON lines above${lokiUrl ? ` and Loki at ${lokiUrl} (one push per tenant, X-Scope-OrgID)` : ''}`,
    '',
    'A failed order from the buffer (span tree with timings):',
    ...renderTree((recent.find((t) => t.hasError) ?? recent[0])?.roots[0]),
    '',
    `tracing ${JSON.stringify(tracing.stats().dropped)} dropped; logging ${JSON.stringify(logs.stats().dropped)} dropped`,
  ];
  console.log(report.join('\n'));

  if (!once) {
    console.log('\nGenerating an order round every second; Ctrl-C to stop.');
    const timer = setInterval(() => void runRound(), 1000);
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    clearInterval(timer);
  }

  await new Promise<void>((resolve) => server.close(() => resolve()));
  await tracing.shutdown();
  await logs.shutdown();
  await metrics.shutdown();
  console.log('flushed and stopped');
}

type Node = { name: string; durationMs: number; status: { code: string }; children: Node[] };
function renderTree(node: Node | undefined, depth = 0): string[] {
  if (node === undefined) return ['  (none)'];
  const status = node.status.code === 'ERROR' ? ' ERROR' : '';
  return [
    `  ${'  '.repeat(depth)}${node.name} ${node.durationMs.toFixed(1)} ms${status}`,
    ...node.children.flatMap((c) => renderTree(c, depth + 1)),
  ];
}

async function serve(
  port: number,
  route: (path: string) => { type: string; body: string } | undefined,
  metricsHandler: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<Server> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/metrics') return metricsHandler(req, res);
    const found = route(path ?? '/');
    if (found === undefined) res.writeHead(404).end('try /metrics or /traces\n');
    else res.writeHead(200, { 'content-type': found.type }).end(found.body);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  return server;
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
