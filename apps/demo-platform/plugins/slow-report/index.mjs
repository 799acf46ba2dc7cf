// The demo's slow plugin: a report built in steps over 200-400 ms, stopping as soon as the deadline
// or a shutdown aborts it (ctx.signal), as a real long-running plugin should.
import { setTimeout as sleep } from 'node:timers/promises';

const STEPS = ['collect', 'aggregate', 'render', 'store'];

export async function execute(input, ctx) {
  const started = Date.now();
  const total = 200 + Math.floor(Math.random() * 201);
  const rows = Number.isInteger(input?.rows) && input.rows > 0 ? Math.min(input.rows, 10_000) : 100;
  const steps = [];
  let sum = 0;
  for (const step of STEPS) {
    await sleep(total / STEPS.length, undefined, { signal: ctx.signal });
    // A little real work per step so the report has content that depends on the input.
    for (let i = 0; i < rows; i++) sum += (i * 2654435761) % 97;
    steps.push({ step, atMs: Date.now() - started });
  }
  ctx.log.info('report built', { rows, ms: Date.now() - started });
  return { title: input?.title ?? 'usage report', rows, checksum: sum, steps, tookMs: Date.now() - started };
}
