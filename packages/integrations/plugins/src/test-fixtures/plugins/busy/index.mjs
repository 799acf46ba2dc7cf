// Test fixture for worker isolation: spins without yielding, exits its thread, or answers, on request.
import { threadId } from 'node:worker_threads';

export function execute(input, ctx) {
  switch (input?.mode) {
    case 'spin':
      for (;;) {
        // never yields: only terminating the thread stops this
      }
    case 'exit':
      process.exit(3);
    case 'throw':
      throw new TypeError('busy was told to throw');
    case 'allocate': {
      const hoard = [];
      for (;;) hoard.push(new Array(1e5).fill(hoard.length));
    }
    case 'function':
      return () => 'functions cannot cross threads';
    case 'log':
      ctx.log.warn('busy says hello', { tenant: ctx.tenantId });
      return 'logged';
    default:
      return {
        threadId,
        envKeys: Object.keys(process.env).length,
        value: process.env.PLUGIN_FIXTURE_VALUE ?? null,
      };
  }
}
