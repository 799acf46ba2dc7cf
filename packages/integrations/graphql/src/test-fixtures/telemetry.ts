// Span and metric lookups shared by the tests, kept apart from the yoga server so suites that run on
// a plain envelop server (and on the lowest peer versions) do not load graphql-yoga.
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { recordSpans, type SpanRecorder } from '@autoweave/test-utils';

export interface TestTracing extends SpanRecorder {
  readonly byName: (name: string) => ReadableSpan[];
  readonly reset: () => void;
}

/** test-utils' in-memory span recorder, plus lookups by name and a reset between cases. */
export function testTracing(): TestTracing {
  const recorder = recordSpans();
  return {
    ...recorder,
    byName: (name) => recorder.spans().filter((s) => s.name === name),
    reset: () => recorder.exporter.reset(),
  };
}

/** The value of one series in a Prometheus text exposition, or undefined when it is absent. */
export function sample(
  exposition: string,
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  for (const line of exposition.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const labelText = line.slice(name.length).match(/^\{(.*)\}/)?.[1] ?? '';
    const found = Object.fromEntries(
      [...labelText.matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]] as [string, string]),
    );
    if (Object.entries(labels).every(([k, v]) => found[k] === v)) {
      return Number(line.slice(line.lastIndexOf(' ') + 1));
    }
  }
  return undefined;
}

/** `_count` of the operation-duration histogram for one operation name, type and outcome. */
export function operationCount(
  exposition: string,
  operationName: string,
  operationType: string,
  outcome: string,
): number | undefined {
  return sample(exposition, 'autoweave_graphql_operation_duration_seconds_count', {
    operation_name: operationName,
    operation_type: operationType,
    outcome,
  });
}
