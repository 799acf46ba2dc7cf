// Test fixture: never settles; says when its AbortSignal fires.
export function execute(_input, ctx) {
  ctx.signal.addEventListener('abort', () => {
    ctx.log.warn('hanging saw the abort', { reason: ctx.signal.reason?.name });
  });
  return new Promise(() => {});
}
