// Memory with both backends down: 1,000,000 spans and 1,000,000 logs into an OTLP endpoint and a
// Loki URL where nothing listens. Run in its own process (rss.ts is spawned by run.ts) so the
// figure is not mixed with the other benchmarks. Prints one JSON line.
import { createLogger } from '@autoweave/logging';
import { runWithTenant } from '@autoweave/tenant-isolation';
import { startTracing } from '@autoweave/tracing';
import { discardStream } from '@autoweave/test-utils';
import { closedPortUrl } from './closed-port.js';

const N = Number(process.argv[2] ?? 1_000_000);
const CHUNK = 10_000;
const gc = (globalThis as { gc?: () => void }).gc ?? (() => undefined);
const mib = (bytes: number) => bytes / 2 ** 20;

async function settle(): Promise<number> {
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return process.memoryUsage().rss;
}

async function main(): Promise<void> {
  const tracing = startTracing({ serviceName: 'rss', endpoint: await closedPortUrl(), sampleRate: 1 });
  const logs = createLogger({
    service: 'rss',
    stream: discardStream(),
    loki: { url: await closedPortUrl() },
  });
  const work = async (count: number) => {
    for (let done = 0; done < count; done += CHUNK) {
      runWithTenant('acme', () => {
        for (let i = 0; i < CHUNK; i++) {
          tracing.withSpan('order.process', (span) => {
            span.setAttribute('order.id', done + i);
            logs.logger.info('order processed', { order: done + i });
          });
        }
      });
      // let the exporters and transports run, as they would between requests
      await new Promise((resolve) => setImmediate(resolve));
    }
  };
  await work(20_000); // warm-up: JIT, buffers reach their bounds
  const before = await settle();
  const started = performance.now();
  await work(N);
  const seconds = (performance.now() - started) / 1000;
  const after = await settle();
  const t = tracing.stats();
  const l = logs.stats();
  await tracing.shutdown();
  await logs.shutdown();
  console.log(
    JSON.stringify({
      spans: N,
      logs: N,
      seconds,
      rssBeforeMiB: mib(before),
      rssAfterMiB: mib(after),
      growthMiB: mib(after - before),
      spansDropped: t.dropped,
      logsDropped: l.dropped,
      logsBuffered: l.buffered,
    }),
  );
}

void main();
