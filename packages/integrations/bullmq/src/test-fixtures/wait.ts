// Polling for conditions that real Redis and BullMQ reach asynchronously.
export async function waitFor(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs = 15_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

let counter = 0;
/** A queue name no other test (or run) uses. */
export const uniqueQueue = (label: string): string =>
  `aw-test-${label}-${process.pid}-${Date.now().toString(36)}-${counter++}`;
