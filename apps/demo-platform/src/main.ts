// `pnpm demo`: starts the platform, prints where everything is, and stops it cleanly on
// SIGTERM/SIGINT (stop accepting, drain the worker, flush telemetry, exit 0).
import { DEMO_KEYS } from './demo-keys';
import { DemoConfigError, readConfig } from './config';
import { startPlatform, type Platform } from './platform';
import { RedisUnavailableError } from './redis';

/** Longest a graceful shutdown may take before the process gives up and exits 1. */
const SHUTDOWN_DEADLINE_MS = 60_000;

/** A line under the USB mode when USB is unavailable right now, with what to do about it. */
function usbNow(health: ReturnType<Platform['usb']['health']>): string[] {
  if (health.state !== 'unavailable') return [];
  return [
    `              unavailable now: ${health.reason ?? 'unknown reason'} (retrying; AUTOWEAVE_USB=simulate gives sample devices)`,
  ];
}

function banner(platform: Platform): string {
  const { url, config, redis, usb } = platform;
  const plugins = platform.plugins();
  const traces = !config.observability
    ? 'off (AUTOWEAVE_OBSERVABILITY=off)'
    : config.otlpEndpoint !== undefined
      ? `OTLP/gRPC ${config.otlpEndpoint} and the in-process buffer on ${url}/debug (sampling ${config.samplingRate})`
      : `in-process buffer on ${url}/debug (sampling ${config.samplingRate}; set OTEL_EXPORTER_OTLP_ENDPOINT to export)`;
  const logs = !config.observability
    ? 'off (AUTOWEAVE_OBSERVABILITY=off)'
    : config.lokiUrl !== undefined
      ? `stdout (JSON) and Loki ${config.lokiUrl} (X-Scope-OrgID per tenant)`
      : 'stdout (JSON; set LOKI_URL to push to Loki)';
  const lines = [
    '',
    `AutoWeave demo platform on ${url}`,
    '',
    `  GraphQL     POST ${url}/graphql   (Authorization: Bearer <key>)`,
    `  Debug page  ${url}/debug`,
    `  Metrics     ${url}/metrics`,
    `  Health      ${url}/healthz   Readiness ${url}/readyz`,
    `  Alerts      POST ${url}/webhooks/alertmanager (Alertmanager webhook v4)`,
    '',
    '  Demo API keys (demo only, they protect nothing):',
    ...Object.entries(DEMO_KEYS).map(([tenant, key]) => `    ${tenant.padEnd(8)} ${key}`),
    '',
    `  USB         ${usb.describe()}`,
    ...usbNow(usb.health()),
    `  Plugins     ${plugins.map((p) => `${p.name}${p.loaded ? '' : ' (not loaded)'}`).join(', ') || 'none'}`,
    `  Queue       BullMQ on ${redis.url} (${redis.origin}), prefix ${config.queuePrefix}`,
    `  Traces      ${traces}`,
    `  Logs        ${logs}`,
    `  Metrics     ${config.observability ? `Prometheus text on ${url}/metrics` : 'off (AUTOWEAVE_OBSERVABILITY=off)'}`,
    `  Audit log   ${platform.auditFile}`,
    '',
    '  Try:',
    `    curl -s ${url}/graphql -H 'Authorization: Bearer ${DEMO_KEYS.acme}' \\`,
    `      -H 'Content-Type: application/json' -d '{"query":"mutation { runPlugin(name: \\"echo\\", input: {hello: 1}) { id state } }"}'`,
    '    pnpm demo:load --duration 30s --rps 20',
    '',
    '  Ctrl-C stops it (drains the worker and flushes telemetry first).',
    '',
  ];
  return lines.join('\n');
}

async function main(): Promise<void> {
  const config = readConfig();
  const say = (message: string): void => console.error(message);
  if (config.usb === 'simulate') say('USB: SIMULATED devices (AUTOWEAVE_USB=simulate), no hardware is read.');
  const platform = await startPlatform(config, say);
  console.error(banner(platform));

  let signals = 0;
  const stop = (signal: NodeJS.Signals): void => {
    signals++;
    if (signals > 1) {
      say(`${signal} again: exiting without finishing the shutdown.`);
      process.exit(1);
    }
    say(`${signal}: stopping (no new requests; draining the worker; flushing telemetry)...`);
    const deadline = setTimeout(() => {
      say(`Shutdown did not finish within ${SHUTDOWN_DEADLINE_MS / 1000} s; exiting.`);
      process.exit(1);
    }, SHUTDOWN_DEADLINE_MS);
    deadline.unref();
    platform.shutdown().then(
      ({ drained }) => {
        say(
          drained
            ? 'Stopped: every running job finished.'
            : 'Stopped: the worker was forced to close; unfinished jobs will be retried from Redis.',
        );
        process.exit(0);
      },
      (error: unknown) => {
        say(`Shutdown failed: ${(error as Error).stack ?? String(error)}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((error: unknown) => {
  const known =
    error instanceof DemoConfigError ||
    error instanceof RedisUnavailableError ||
    (error as Error).name === 'TenantConfigError' ||
    (error as Error).name === 'ObservabilityConfigError';
  console.error(
    known ? (error as Error).message : `The demo could not start: ${(error as Error).stack ?? String(error)}`,
  );
  process.exit(1);
});
