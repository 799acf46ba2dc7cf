#!/usr/bin/env node
// `pnpm demo:load`: drives a running demo at a fixed rate and prints what it saw.
import { DEMO_KEYS } from '../demo-keys';
import { LoadArgsError, parseLoadArgs, USAGE } from './args';
import { formatReport, progressBar, progressLine } from './report';
import { LoadPreflightError, runLoad } from './run';

/** Exit codes: 0 done, 1 demo unreachable, keys refused or every request failed, 2 bad flags, 3 tenant isolation broken. */
async function main(): Promise<number> {
  let options;
  try {
    options = parseLoadArgs(process.argv.slice(2), process.env, DEMO_KEYS);
  } catch (error) {
    if (error instanceof LoadArgsError) {
      process.stderr.write(`demo-load: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
  if (options === undefined) {
    process.stdout.write(USAGE);
    return 0;
  }
  const tty = process.stderr.isTTY === true && !options.json;
  let lastLine = 0;
  let barShown = false;
  process.stderr.write(
    `demo-load: ${options.rps} req/s for ${options.durationMs / 1000}s against ${options.url} as ${options.tenants
      .map((t) => t.tenant)
      .join(', ')}\n`,
  );
  // First Ctrl-C: stop sending and print what was measured; a second one exits at once.
  const abort = new AbortController();
  process.once('SIGINT', () => {
    process.stderr.write('\ndemo-load: stopping (Ctrl-C again to quit now)\n');
    abort.abort();
    process.once('SIGINT', () => process.exit(130));
  });
  try {
    const report = await runLoad(options, {
      signal: abort.signal,
      onProgress: (p) => {
        if (tty) {
          process.stderr.write(`\r${progressBar(p)}\x1b[K`);
          barShown = true;
        } else if (p.done || p.elapsedMs - lastLine >= 5000) {
          lastLine = p.elapsedMs;
          process.stderr.write(`${progressLine(p)}\n`);
        }
      },
      onPhase: (phase) => {
        // End the bar's line once, before the first plain line.
        if (barShown) process.stderr.write('\n');
        barShown = false;
        process.stderr.write(
          phase === 'waiting-for-jobs'
            ? `demo-load: waiting up to ${options.jobWaitMs / 1000}s for the jobs started to finish\n`
            : 'demo-load: reading SLO status\n',
        );
      },
    });
    process.stdout.write(
      options.json ? `${JSON.stringify(report, null, 2)}\n` : `\n${formatReport(report)}\n`,
    );
    if (report.isolationViolations > 0) return 3;
    const all = report.operations.find((o) => o.operation === 'all');
    if (all !== undefined && all.requests > 0 && all.errors === all.requests) {
      // The demo answered the preflight, then nothing worked: it crashed or stopped mid-run.
      process.stderr.write('demo-load: every request failed; see the errors by reason above\n');
      return 1;
    }
    return 0;
  } catch (error) {
    if (error instanceof LoadPreflightError) {
      process.stderr.write(`demo-load: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(
      `demo-load: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exitCode = 1;
  },
);
