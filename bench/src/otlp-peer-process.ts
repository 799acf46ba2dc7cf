// A real OTLP/gRPC peer in its own process, so the benchmarked process pays only for what an app
// pays for (serialising and sending), not for decoding. Prints its URL, then counts spans until stdin closes.
import { startOtlpPeer } from '@autoweave/test-utils';

async function main(): Promise<void> {
  const peer = await startOtlpPeer();
  console.log(peer.url);
  process.stdin.resume();
  process.stdin.once('end', () => {
    console.log(String(peer.spans.length));
    void peer.stop().then(() => process.exit(0));
  });
  // the decoded spans are only counted: drop them so memory stays flat during long runs
  setInterval(() => {
    if (peer.spans.length > 100_000) peer.clear();
  }, 1000).unref();
}

void main();
