// The demo's unreliable plugin: an upstream call that fails about one run in five, so the
// failure counters, the retried jobs and the operation-errors SLO have something to show.
// With input.url (loopback only) it really fetches it; without, it waits 20-80 ms like one.
import { setTimeout as sleep } from 'node:timers/promises';

const FAILURE_RATE = 0.2;
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

export async function execute(input, ctx) {
  const started = Date.now();
  let status = 200;
  if (typeof input?.url === 'string') {
    const url = new URL(input.url);
    if (!LOOPBACK.has(url.hostname)) {
      throw new Error(`flaky-fetch only fetches loopback URLs; got host "${url.hostname}"`);
    }
    const response = await fetch(url, { signal: ctx.signal });
    await response.arrayBuffer();
    status = response.status;
  } else {
    await sleep(20 + Math.floor(Math.random() * 61), undefined, { signal: ctx.signal });
  }
  if (Math.random() < FAILURE_RATE) {
    ctx.log.warn('upstream failed', { status: 503 });
    throw new Error(
      'upstream answered 503 Service Unavailable (flaky-fetch fails about 20% of runs on purpose)',
    );
  }
  return { status, tookMs: Date.now() - started };
}
