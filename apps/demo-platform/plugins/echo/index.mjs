// The demo's fast plugin: answers at once with what it was given, so a run shows the queue and
// worker overhead alone.
export async function execute(input, ctx) {
  ctx.log.info('echo ran');
  return { echoed: input ?? null, tenant: ctx.tenantId ?? null, at: new Date().toISOString() };
}
