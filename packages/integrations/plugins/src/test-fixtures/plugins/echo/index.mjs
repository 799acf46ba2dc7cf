// Test fixture: answers with its input and the context the loader gave it.
export async function execute(input, ctx) {
  ctx.log.info('echo ran', { inputType: typeof input });
  return {
    input,
    tenantId: ctx.tenantId,
    plugin: ctx.plugin,
    permissions: ctx.permissions,
    timeoutMs: ctx.timeoutMs,
    aborted: ctx.signal.aborted,
  };
}
