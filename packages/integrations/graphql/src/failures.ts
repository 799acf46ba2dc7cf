// Internal failures of the instrumentation are caught where they happen, counted, and logged once per
// stage, so a telemetry bug never reaches the GraphQL server or its clients.
import type { Instruments, Stage } from './instruments';
import type { GraphQLLogger } from './types';

export type ReportFailure = (stage: Stage, error: unknown) => void;

export function failureReporter(
  instruments: Instruments | undefined,
  logger: GraphQLLogger | undefined,
): ReportFailure {
  const logged = new Set<Stage>();
  return (stage, error) => {
    try {
      instruments?.internalErrors.inc({ stage });
      if (logger !== undefined && !logged.has(stage)) {
        logged.add(stage);
        logger.warn('GraphQL instrumentation failed; the operation went on without it', {
          stage,
          error: error instanceof Error ? error.message : String(error),
        });
      }
    } catch {
      // The counter or the logger failed too: nothing left to tell.
    }
  };
}
