// Starts the OTLP peer process and hands back its URL.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';

export interface PeerProcess {
  readonly url: string;
  stop(): Promise<void>;
}

export async function startPeerProcess(): Promise<PeerProcess> {
  const child: ChildProcess = spawn(
    process.execPath,
    [fileURLToPath(new URL('otlp-peer-process.js', import.meta.url))],
    {
      stdio: ['pipe', 'pipe', 'inherit'],
    },
  );
  if (child.stdout === null || child.stdin === null) throw new Error('peer process has no stdio');
  const lines = createInterface({ input: child.stdout });
  const [url] = (await once(lines, 'line')) as [string];
  return {
    url,
    stop: async () => {
      child.stdin?.end();
      await once(child, 'exit');
    },
  };
}
