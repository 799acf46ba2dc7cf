import { spawn } from 'node:child_process';
import { discardStream, freePort } from '@autoweave/test-utils';
import { createLogger, type LoggerHandle } from './index';

/** A loopback URL nothing listens on: Loki down. */
async function closedPortUrl(): Promise<string> {
  return `http://127.0.0.1:${await freePort()}`;
}

/**
 * Runs `body` (TypeScript importing `createLogger` and `closedPortUrl`) in a fresh node process
 * that loads this package's sources, and returns its exit code, stdout and duration.
 */
function runChild(
  body: string,
): Promise<{ code: number | null; stdout: string; stderr: string; ms: number }> {
  const register = `
    const ts = require('typescript');
    const fs = require('node:fs');
    require.extensions['.ts'] = (module, filename) => {
      const out = ts.transpileModule(fs.readFileSync(filename, 'utf8'), {
        compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
        fileName: filename,
      });
      module._compile(out.outputText, filename);
    };
    const { createLogger } = require(${JSON.stringify(`${__dirname}/index.ts`)});
    const { freePort } = require('@autoweave/test-utils');
    const closedPortUrl = async () => 'http://127.0.0.1:' + (await freePort());
    (async () => { ${body} })().catch((error) => { console.error(error); process.exit(3); });
  `;
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['-e', register], {
      cwd: __dirname,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.on('close', (code) => resolve({ code, stdout, stderr, ms: Date.now() - started }));
  });
}

describe('shutdown with Loki unreachable', () => {
  const handles: LoggerHandle[] = [];
  afterEach(async () => {
    await Promise.all(handles.splice(0).map((h) => h.shutdown()));
  });

  it('resolves within shutdownTimeoutMs and counts the undelivered records as dropped (shutdown)', async () => {
    const handle = createLogger({
      service: 'usb-daemon',
      stream: discardStream(),
      shutdownTimeoutMs: 500,
      loki: { url: await closedPortUrl(), intervalMs: 20, minBackoffMs: 50, maxBackoffMs: 200 },
    });
    handles.push(handle);
    for (let i = 0; i < 25; i++) handle.logger.info('order processed', { order: i });

    const started = Date.now();
    await handle.shutdown();
    const took = Date.now() - started;

    expect(took).toBeLessThan(2000);
    const stats = handle.stats();
    expect(stats.dropped.shutdown).toBe(25);
    expect(stats.sent).toBe(0);
    expect(stats.buffered).toBe(0);
    expect(stats.retries).toBeGreaterThan(0);
  });

  it('flush(timeout) resolves after about timeout while Loki stays down, keeping the records buffered', async () => {
    const handle = createLogger({
      service: 'usb-daemon',
      stream: discardStream(),
      shutdownTimeoutMs: 300,
      loki: { url: await closedPortUrl(), intervalMs: 20, minBackoffMs: 50, maxBackoffMs: 100 },
    });
    handles.push(handle);
    handle.logger.warn('disk almost full');
    const started = Date.now();
    await handle.flush(300);
    expect(Date.now() - started).toBeLessThan(3000);
    expect(handle.stats().buffered).toBe(1);
  });

  it('keeps the process alive until shutdown settles, so code after `await shutdown()` runs and it exits 0', async () => {
    const child = await runChild(`
      const logs = createLogger({
        service: 'child',
        stream: false,
        shutdownTimeoutMs: 1000,
        loki: { url: await closedPortUrl() },
      });
      for (let i = 0; i < 10; i++) logs.logger.info('order processed', { order: i });
      process.on('beforeExit', () => console.log('beforeExit'));
      await logs.shutdown();
      console.log('after shutdown ' + JSON.stringify(logs.stats().dropped));
    `);
    expect(child.stderr).toBe('');
    expect(child.code).toBe(0);
    const lines = child.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^after shutdown /);
    expect(JSON.parse(lines[0]!.slice('after shutdown '.length))).toMatchObject({ shutdown: 10 });
    // Bounded by shutdownTimeoutMs (1 s) plus node start-up, not by the 10 s request timeout.
    expect(child.ms).toBeLessThan(8000);
  });
});
