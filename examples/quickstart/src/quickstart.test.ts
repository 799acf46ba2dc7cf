import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { freePort, startLokiPeer, startOtlpPeer } from '@autoweave/test-utils';

const main = join(__dirname, '..', 'dist', 'main.js');

function run(env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [main, '--once'], { env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('quickstart example (the README demo command)', () => {
  it('emits traces, metrics and logs with no backend and says where they went', async () => {
    const port = await freePort();
    const { code, stdout, stderr } = await run({ PORT: String(port) });
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toContain('in-process buffer: 8 traces');
    expect(stdout).toMatch(/order\.process [\d.]+ ms/);
    expect(stdout).toMatch(/payment\.charge [\d.]+ ms ERROR/);
    const logLines = stdout.split('\n').filter((l) => l.startsWith('{'));
    const records = logLines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(records.length).toBe(8);
    for (const r of records) {
      expect(r.trace_id).toMatch(/^[0-9a-f]{32}$/);
      expect(['acme', 'globex']).toContain(r.tenant_id);
    }
    expect(stdout).toContain('flushed and stopped');
  });

  it('exports to a real OTLP peer and a Loki peer when pointed at them', async () => {
    const otlp = await startOtlpPeer();
    const loki = await startLokiPeer();
    try {
      const { code } = await run({
        PORT: String(await freePort()),
        OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url,
        LOKI_URL: loki.url,
      });
      expect(code).toBe(0);
      const spans = await otlp.waitForSpans(24, 20_000);
      expect(new Set(spans.map((s) => s.name))).toEqual(
        new Set(['order.process', 'inventory.reserve', 'payment.charge']),
      );
      await loki.waitForEntries(8, 20_000);
      expect(new Set(loki.requests.map((r) => r.orgId))).toEqual(new Set(['acme', 'globex']));
    } finally {
      await otlp.stop();
      await loki.stop();
    }
  });
});
