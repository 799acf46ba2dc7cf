// The tenant gateway example: an "order API" whose tenant policies (tenants.yaml) decide who may
// call, how much they may send and what leaves the process, across traces, metrics and logs.
// `--once` runs a scripted scenario against itself over real HTTP, prints a report and exits.
import { createWriteStream } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startGateway, type Gateway } from './gateway';
import { runScenario } from './scenario';
import { PLATFORM_ORG_ID } from './telemetry';

async function main(): Promise<void> {
  const once = process.argv.includes('--once');
  const env = process.env;
  const otlpEndpoint = env.OTEL_EXPORTER_OTLP_ENDPOINT || undefined;
  const lokiUrl = env.LOKI_URL || undefined;
  // A fresh directory for the audit log unless AUDIT_LOG names one, and for --once's log lines:
  // the report is the output of --once, so its JSON log lines go to a file instead of the terminal.
  const workDir = once || !env.AUDIT_LOG ? await mkdtemp(join(tmpdir(), 'tenant-gateway-')) : undefined;
  const auditFile = env.AUDIT_LOG || join(workDir ?? '.', 'audit.log');
  const logFile = once ? join(workDir ?? '.', 'gateway.log') : undefined;
  const logStream = logFile === undefined ? process.stdout : createWriteStream(logFile);

  const gateway = await startGateway({
    tenantsFile: env.TENANTS_FILE ?? join(__dirname, '..', 'tenants.yaml'),
    auditFile,
    env,
    host: env.HOST ?? '127.0.0.1',
    port: Number(env.PORT ?? 8080),
    otlpEndpoint,
    lokiUrl,
    logStream,
    ...(env.TRUST_PROXY ? { trustProxy: env.TRUST_PROXY.split(',').map((s) => s.trim()) } : {}),
  });
  const { registry } = gateway.policies;

  const startup = [
    `tenant-gateway listening on ${gateway.url}`,
    `  tenants  ${registry
      .ids()
      .map((id) => `${id} (${registry.get(id)?.plan ?? 'default limits'})`)
      .join(', ')}`,
    `  audit    ${auditFile}`,
  ];
  if (gateway.policies.demoKeysUsed.length > 0) {
    startup.push(
      `  DEMO encryption keys in use for ${gateway.policies.demoKeysUsed.join(', ')} (set them for real keys)`,
    );
  }
  for (const id of gateway.policies.unusableKeys) {
    startup.push(
      `  WARNING: tenant ${id} has encryption configured but no usable key; its sensitive attributes are masked`,
    );
  }
  console.log(startup.join('\n'));

  let exitCode = 0;
  if (once) {
    const report = await runScenario(gateway);
    console.log(report.lines.join('\n'));
  } else {
    console.log(
      `\nTry: curl -i -X POST ${gateway.url}/orders -H 'Authorization: Bearer <demo key from README.md>' ...`,
    );
    console.log('Ctrl-C (SIGINT) or SIGTERM flushes everything and stops.\n');
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
  }

  const { head, verified } = await gateway.shutdown();
  const stats = pipelineStats(gateway);
  console.log(
    [
      '',
      'Where the signals went:',
      `  traces   ${otlpEndpoint ? `OTLP/gRPC to ${otlpEndpoint}, ` : ''}in-process buffer (GET /traces); ${stats.spans}`,
      `  metrics  GET ${gateway.url}/metrics (Prometheus text; tenant_id bounded to registered tenants and __unknown__)`,
      `  logs     ${logFile ?? 'stdout'}${lokiUrl ? ` and Loki at ${lokiUrl} (X-Scope-OrgID per tenant, ${PLATFORM_ORG_ID} for the rest)` : ''}; ${stats.logs}`,
      `  audit    ${auditFile}`,
      `  redacted ${stats.redacted}`,
      '',
      `audit log ${verified.ok ? 'verified' : 'BROKEN'}: ${verified.entries} entries, head seq ${head.seq} hash ${head.hash}`,
      ...(verified.firstBroken
        ? [`  first broken line ${verified.firstBroken.line}: ${verified.firstBroken.detail}`]
        : []),
      'flushed and stopped',
    ].join('\n'),
  );
  if (!verified.ok) exitCode = 1;
  process.exitCode = exitCode;
}

/** One-line summaries of what the pipelines did (their counters outlive shutdown). */
function pipelineStats(gateway: Gateway): { spans: string; logs: string; redacted: string } {
  const { tracing, logs } = gateway.telemetry;
  const t = tracing.stats();
  const l = logs.stats();
  const kept = (counts: Readonly<Record<string, number>>) =>
    Object.entries(counts)
      .filter(([, n]) => n > 0)
      .map(([k, n]) => `${k} ${n}`)
      .join(', ') || 'none';
  return {
    spans: `exported ${t.exported}, dropped: ${kept(t.dropped)}`,
    logs: `sent to Loki ${l.sent}, dropped: ${kept(l.dropped)}`,
    redacted: kept(gateway.policies.redactor.stats()),
  };
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
});
