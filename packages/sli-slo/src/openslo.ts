// OpenSLO v1 interchange: exports definitions as `openslo/v1` SLO documents and imports the subset that
// maps onto an SloInput (rolling windows, Occurrences, ratioMetric counters from Prometheus), with an
// error naming the document and field for anything else.
import { parsePrometheusDuration } from '@autoweave/tenant-isolation';
import { parseAllDocuments, stringify } from 'yaml';
import { DEFAULT_TIERS, SloDefinitionError, defineSlo } from './define';
import { divideDecimal, parseDecimal, toNumber } from './decimal';
import { partSelector, renderSelector, totalSelector } from './promql';
import type { AlertTierInput, CounterSelector, SliInput, SloDefinition, SloInput } from './types';

/** Prefix of the annotations that carry what OpenSLO has no field for (groupBy, minEvents, runbook, tiers). */
export const OPENSLO_ANNOTATION_PREFIX = 'autoweave.dev/';
const ANNOTATION = {
  groupBy: `${OPENSLO_ANNOTATION_PREFIX}group-by`,
  minEvents: `${OPENSLO_ANNOTATION_PREFIX}min-events`,
  runbookUrl: `${OPENSLO_ANNOTATION_PREFIX}runbook-url`,
  tiers: `${OPENSLO_ANNOTATION_PREFIX}tiers`,
} as const;
const KNOWN_ANNOTATIONS: readonly string[] = Object.values(ANNOTATION);
/** OpenSLO v1 limits `description` to this many characters. */
const MAX_DESCRIPTION = 1050;

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;
const MINUTE_MS = 60_000;

/** One thing in an OpenSLO text that cannot be imported: which document, which field, and why. */
export interface OpenSloProblem {
  /** 1-based position of the YAML document in the text. */
  readonly document: number;
  readonly kind?: string;
  /** `metadata.name` of the document, when it has one. */
  readonly name?: string;
  /** Field path inside the document, e.g. `spec.timeWindow[0].duration`. */
  readonly path: string;
  readonly message: string;
}

/** Thrown by {@link fromOpenSlo} with every problem of every document. */
export class OpenSloError extends Error {
  override readonly name = 'OpenSloError';
  readonly problems: readonly OpenSloProblem[];
  readonly source: string;
  constructor(problems: readonly OpenSloProblem[], source: string) {
    super(
      `${source}: cannot import OpenSLO (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n  ${problems
        .map(formatOpenSloProblem)
        .join('\n  ')}`,
    );
    this.problems = Object.freeze(problems.map((p) => Object.freeze({ ...p })));
    this.source = source;
  }
}

/** `document 2 (SLO "checkout"): spec.budgetingMethod: ...` — the one-line form used by the CLI. */
export function formatOpenSloProblem(problem: OpenSloProblem): string {
  const what =
    problem.kind !== undefined
      ? ` (${problem.kind}${problem.name !== undefined ? ` "${problem.name}"` : ''})`
      : problem.name !== undefined
        ? ` ("${problem.name}")`
        : '';
  return `document ${problem.document}${what}: ${problem.path === '' ? '' : `${problem.path}: `}${problem.message}`;
}

// ---------------------------------------------------------------------------------------------------
// PromQL selectors: the only query shape exported and imported (the raw counter; the consumer rates it).

/** A parsed `metric{label="value", ...}` with equality matchers only. */
interface Selector {
  readonly metric: string;
  readonly matchers: Readonly<Record<string, string>>;
}

const IDENT = /[a-zA-Z_:][a-zA-Z0-9_:]*/y;
const LABEL = /[a-zA-Z_][a-zA-Z0-9_]*/y;
const SPACE = /\s*/y;

/**
 * The threshold of an `le=~"1|1\\.0"` matcher, which the generated rules write when Prometheus 3
 * spells a bound differently from the exporter: every alternative must be the same number.
 */
function leOfRegex(regex: string): string | undefined {
  const spellings = regex.split('|').map((s) => s.replace(/\\([.+])/g, '$1'));
  const first = spellings[0] as string;
  const value = Number(first);
  if (first === '' || !Number.isFinite(value)) return undefined;
  return spellings.every((s) => s !== '' && Number(s) === value) ? first : undefined;
}

/**
 * Parses a plain instant-vector selector with equality matchers (`x_total{code="500"}`,
 * `{__name__="x_total"}`). Returns a message saying what is wrong otherwise.
 */
function parseSelector(query: string): Selector | string {
  const text = query.trim();
  let at = 0;
  const skip = (): void => {
    SPACE.lastIndex = at;
    SPACE.exec(text);
    at = SPACE.lastIndex;
  };
  const take = (re: RegExp): string | undefined => {
    re.lastIndex = at;
    const m = re.exec(text);
    if (m === null) return undefined;
    at = re.lastIndex;
    return m[0];
  };
  let metric = take(IDENT);
  skip();
  if (metric !== undefined && text[at] === '(') {
    return `"${text}" applies ${metric}(); give the plain counter selector (e.g. "x_total{code=\\"500\\"}"): with counter: true autoweave applies rate() and sum() itself`;
  }
  const matchers: Record<string, string> = {};
  if (text[at] === '{') {
    at++;
    for (;;) {
      skip();
      if (text[at] === '}') {
        at++;
        break;
      }
      const label = take(LABEL);
      if (label === undefined) return `"${text}": expected a label name at character ${at + 1}`;
      skip();
      const op = text.startsWith('=~', at)
        ? '=~'
        : text.startsWith('!=', at)
          ? '!='
          : text.startsWith('!~', at)
            ? '!~'
            : text[at] === '='
              ? '='
              : undefined;
      if (op === undefined) return `"${text}": expected =, !=, =~ or !~ after "${label}"`;
      if (op !== '=' && !(op === '=~' && label === 'le')) {
        return `"${text}" uses ${label}${op}...; only equality matchers (label="value") map onto an SLO's matchers`;
      }
      at += op.length;
      skip();
      const quote = text[at];
      if (quote !== '"' && quote !== "'" && quote !== '`') {
        return `"${text}": expected a quoted value after ${label}=`;
      }
      let value = '';
      let closed = false;
      for (at++; at < text.length; at++) {
        const ch = text[at] as string;
        if (ch === quote) {
          closed = true;
          at++;
          break;
        }
        if (ch === '\\' && quote !== '`') {
          const next = text[++at];
          value += next === 'n' ? '\n' : next === 't' ? '\t' : (next ?? '');
        } else value += ch;
      }
      if (!closed) return `"${text}": the value of ${label} is not closed with ${quote}`;
      if (Object.hasOwn(matchers, label)) return `"${text}" matches ${label} twice`;
      if (op === '=~') {
        const le = leOfRegex(value);
        if (le === undefined) {
          return `"${text}": le=~"${value}" is not a threshold; write le="<seconds>" (or its spellings, as in le=~"1|1\\.0")`;
        }
        value = le;
      }
      matchers[label] = value;
      skip();
      if (text[at] === ',') at++;
      else if (text[at] !== '}') return `"${text}": expected "," or "}" at character ${at + 1}`;
    }
    skip();
  }
  if (at < text.length) {
    const rest = text.slice(at);
    return rest.startsWith('[')
      ? `"${text}" has a range ${rest}; give the instant selector: with counter: true autoweave chooses the windows`
      : `"${text}" is not a plain counter selector such as x_total{code="500"} (found "${rest}"); functions, aggregations and arithmetic are not imported`;
  }
  if (Object.hasOwn(matchers, '__name__')) {
    if (metric !== undefined) return `"${text}" names the metric twice (also as __name__)`;
    metric = matchers['__name__'];
    delete matchers['__name__'];
  }
  if (metric === undefined || metric === '') {
    return `"${text}" does not name a metric; write e.g. x_total{code="500"}`;
  }
  return { metric, matchers };
}

// ---------------------------------------------------------------------------------------------------
// Export

/** Back from a validated definition to the input that defines it (defaults left out). */
export function toSloInput(slo: SloDefinition): SloInput {
  const tiers: AlertTierInput[] = slo.tiers.map((t) => ({
    name: t.name,
    severity: t.severity,
    shortWindow: t.shortWindow,
    longWindow: t.longWindow,
    budgetPercent: t.budgetPercent,
    ...(t.for !== undefined ? { for: t.for } : {}),
  }));
  return {
    id: slo.id,
    service: slo.service,
    description: slo.description,
    objective: slo.objective,
    window: slo.window,
    sli: slo.sli,
    ...(slo.groupBy.length > 0 ? { groupBy: [...slo.groupBy] } : {}),
    ...(slo.minEvents > 0 ? { minEvents: slo.minEvents } : {}),
    ...(Object.keys(slo.labels).length > 0 ? { labels: { ...slo.labels } } : {}),
    ...(slo.runbookUrl !== undefined ? { runbookUrl: slo.runbookUrl } : {}),
    ...(isDefaultTiers(tiers) ? {} : { tiers }),
  };
}

function sameDuration(a: string, b: string): boolean {
  return parsePrometheusDuration(a) === parsePrometheusDuration(b);
}

function isDefaultTiers(tiers: readonly AlertTierInput[]): boolean {
  return (
    tiers.length === DEFAULT_TIERS.length &&
    tiers.every((t, i) => {
      const d = DEFAULT_TIERS[i] as AlertTierInput;
      return (
        t.name === d.name &&
        t.severity === d.severity &&
        sameDuration(t.shortWindow, d.shortWindow) &&
        sameDuration(t.longWindow, d.longWindow) &&
        t.budgetPercent === d.budgetPercent &&
        t.for === d.for
      );
    })
  );
}

/** A window as an OpenSLO duration shorthand: one number and one unit (`30d`, `36h`, `90m`). */
function openSloDuration(slo: SloDefinition): string {
  const ms = slo.windowMs;
  if (ms % DAY_MS === 0) return `${ms / DAY_MS}d`;
  if (ms % HOUR_MS === 0) return `${ms / HOUR_MS}h`;
  if (ms % MINUTE_MS === 0) return `${ms / MINUTE_MS}m`;
  throw new RangeError(
    `SLO "${slo.id}": window ${slo.window} is not a whole number of minutes, which OpenSLO durations cannot express; use whole minutes`,
  );
}

function metricSource(query: string): { metricSource: { type: 'Prometheus'; spec: { query: string } } } {
  return { metricSource: { type: 'Prometheus', spec: { query } } };
}

function ratioMetricOf(sli: SliInput): Record<string, unknown> {
  const part = partSelector(sli);
  return {
    counter: true,
    [part.kind]: metricSource(renderSelector(part.selector)),
    total: metricSource(renderSelector(totalSelector(sli))),
  };
}

function openSloDocument(slo: SloDefinition): Record<string, unknown> {
  if (slo.description.length > MAX_DESCRIPTION) {
    throw new RangeError(
      `SLO "${slo.id}": description is ${slo.description.length} characters; OpenSLO allows at most ${MAX_DESCRIPTION}, shorten it`,
    );
  }
  const input = toSloInput(slo);
  const annotations: Record<string, string> = {};
  if (slo.groupBy.length > 0) annotations[ANNOTATION.groupBy] = slo.groupBy.join(',');
  if (slo.minEvents > 0) annotations[ANNOTATION.minEvents] = String(slo.minEvents);
  if (slo.runbookUrl !== undefined) annotations[ANNOTATION.runbookUrl] = slo.runbookUrl;
  if (input.tiers !== undefined) annotations[ANNOTATION.tiers] = JSON.stringify(input.tiers);
  return {
    apiVersion: 'openslo/v1',
    kind: 'SLO',
    metadata: {
      name: slo.id,
      displayName: slo.description,
      ...(Object.keys(slo.labels).length > 0 ? { labels: { ...slo.labels } } : {}),
      ...(Object.keys(annotations).length > 0 ? { annotations } : {}),
    },
    spec: {
      description: slo.description,
      service: slo.service,
      indicator: {
        metadata: { name: slo.id },
        spec: { ratioMetric: ratioMetricOf(slo.sli) },
      },
      timeWindow: [{ duration: openSloDuration(slo), isRolling: true }],
      budgetingMethod: 'Occurrences',
      objectives: [{ target: slo.objective }],
    },
  };
}

/**
 * OpenSLO v1 YAML for the definitions: one `kind: SLO` document each (separated by `---`), with an
 * inline `ratioMetric` indicator (`counter: true`, Prometheus selectors; latency as good =
 * `<histogram>_bucket{le="<threshold>"}`, total = `<histogram>_count`), a rolling `timeWindow`,
 * `budgetingMethod: Occurrences` and one objective. What OpenSLO has no field for (groupBy,
 * minEvents, runbookUrl, non-default tiers) goes into `autoweave.dev/*` annotations, so
 * {@link fromOpenSlo} gives back the same definitions.
 */
export function toOpenSlo(slos: readonly SloDefinition[]): string {
  return slos
    .map((slo) => stringify(openSloDocument(slo), { lineWidth: 0, singleQuote: true }))
    .join('---\n');
}

// ---------------------------------------------------------------------------------------------------
// Import

/** Options of {@link fromOpenSlo}. */
export interface FromOpenSloOptions {
  /** Names the text in errors (a file path). Default `OpenSLO input`. */
  readonly source?: string;
}

interface Doc {
  readonly index: number;
  readonly kind: string | undefined;
  readonly name: string | undefined;
  readonly value: Record<string, unknown>;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  try {
    return JSON.stringify(value) ?? typeof value;
  } catch {
    return `a ${typeof value} that cannot be shown`;
  }
}

type Report = (path: string, message: string) => void;

const SUPPORTED_SPEC_KEYS = [
  'description',
  'service',
  'indicator',
  'indicatorRef',
  'timeWindow',
  'budgetingMethod',
  'objectives',
  'alertPolicies',
] as const;
const ALERTING_KINDS = new Set(['AlertPolicy', 'AlertCondition', 'AlertNotificationTarget']);

/** Where each SloInput field came from in the OpenSLO document, to point defineSlo's problems there. */
interface Origin {
  readonly objective: string;
  readonly indicator: string;
  readonly indicatorDoc: Doc | undefined;
  readonly parts: Readonly<Record<'good' | 'bad' | 'total', string>>;
}

/**
 * Reads OpenSLO v1 YAML (one or more documents) and returns one SloInput per `kind: SLO` document,
 * validated with `defineSlo`. Supported: rolling `timeWindow` in m/h/d/w, `budgetingMethod:
 * Occurrences`, one objective (`target` or `targetPercent`), `ratioMetric` with `counter: true` whose
 * good/bad/total are Prometheus counter selectors (a `_bucket{le=...}` good over a `_count` total is a
 * latency SLI), inline `indicator` or `indicatorRef` to an SLI document in the same text,
 * `metricSourceRef` to a Prometheus DataSource in the same text, and the `autoweave.dev/*`
 * annotations {@link toOpenSlo} writes. Service and DataSource documents are accepted (a Service
 * carries nothing an SLO needs). Everything else — Timeslices, calendar windows, M/Q/Y durations,
 * thresholdMetric, raw ratios, composite objectives, alert policies, non-Prometheus sources, queries
 * that are not plain selectors — throws {@link OpenSloError} naming the document and field.
 */
export function fromOpenSlo(yamlText: string, options: FromOpenSloOptions = {}): SloInput[] {
  const source = options.source ?? 'OpenSLO input';
  const problems: OpenSloProblem[] = [];
  const reportFor =
    (doc: Pick<Doc, 'index' | 'kind' | 'name'>): Report =>
    (path, message) =>
      problems.push({
        document: doc.index,
        ...(doc.kind !== undefined ? { kind: doc.kind } : {}),
        ...(doc.name !== undefined ? { name: doc.name } : {}),
        path,
        message,
      });

  const docs: Doc[] = [];
  const parsed = parseAllDocuments(yamlText, { uniqueKeys: true, prettyErrors: true });
  if (!Array.isArray(parsed)) {
    throw new OpenSloError([{ document: 1, path: '', message: 'the text holds no YAML document' }], source);
  }
  parsed.forEach((yamlDoc, i) => {
    const index = i + 1;
    if (yamlDoc.errors.length > 0) {
      for (const e of yamlDoc.errors) {
        reportFor({ index, kind: undefined, name: undefined })(
          '',
          `not valid YAML: ${(e.message.split('\n')[0] ?? e.code).replace(/:$/, '')}`,
        );
      }
      return;
    }
    const value: unknown = yamlDoc.toJS();
    if (value === null || value === undefined) return; // an empty document, e.g. after a trailing ---
    const metadata = isRecord(value) ? value['metadata'] : undefined;
    const kind = isRecord(value) && typeof value['kind'] === 'string' ? value['kind'] : undefined;
    const name = isRecord(metadata) && typeof metadata['name'] === 'string' ? metadata['name'] : undefined;
    const report = reportFor({ index, kind, name });
    if (!isRecord(value)) {
      report('', `must be a mapping with apiVersion, kind, metadata and spec, got ${show(value)}`);
      return;
    }
    const apiVersion = value['apiVersion'];
    if (apiVersion !== 'openslo/v1') {
      report(
        'apiVersion',
        apiVersion === 'openslo/v1alpha'
          ? 'openslo/v1alpha is not imported; convert the document to openslo/v1 (timeWindows → timeWindow, ratioMetrics → ratioMetric)'
          : typeof apiVersion === 'string' && apiVersion.startsWith('openslo')
            ? `${apiVersion} is not supported; only openslo/v1 is imported`
            : `must be openslo/v1, got ${show(apiVersion)}`,
      );
      return;
    }
    if (kind === undefined) {
      report('kind', `must be one of SLO, SLI, DataSource, Service, got ${show(value['kind'])}`);
      return;
    }
    if (ALERTING_KINDS.has(kind)) {
      report(
        'kind',
        `${kind} is not imported: autoweave alerts on multi-window burn-rate tiers, not OpenSLO's single-window conditions. Remove the document; give tiers in the ${ANNOTATION.tiers} annotation of the SLO, or keep the default tiers`,
      );
      return;
    }
    if (!['SLO', 'SLI', 'DataSource', 'Service'].includes(kind)) {
      report('kind', `${kind} is not an OpenSLO v1 kind autoweave imports (SLO, SLI, DataSource, Service)`);
      return;
    }
    if (name === undefined) {
      report('metadata.name', 'is required');
      return;
    }
    docs.push({ index, kind, name, value });
  });

  const byKind = (kind: string): Map<string, Doc> => {
    const out = new Map<string, Doc>();
    for (const d of docs) if (d.kind === kind && d.name !== undefined && !out.has(d.name)) out.set(d.name, d);
    return out;
  };
  const slis = byKind('SLI');
  const dataSources = byKind('DataSource');

  const inputs: SloInput[] = [];
  const seen = new Map<string, number>();
  for (const doc of docs) {
    if (doc.kind !== 'SLO') continue;
    const report = reportFor(doc);
    const before = problems.length;
    const first = seen.get(doc.name as string);
    if (first !== undefined) {
      report(
        'metadata.name',
        `is also the name of document ${first}; SLO names must be unique (they are the slo_id)`,
      );
      continue;
    }
    seen.set(doc.name as string, doc.index);
    const built = sloInputOf(doc, { slis, dataSources }, report, reportFor);
    if (built === undefined || problems.length > before) continue;
    try {
      defineSlo(built.input);
      inputs.push(built.input);
    } catch (error) {
      if (!(error instanceof SloDefinitionError)) throw error;
      for (const p of error.problems) {
        const at = openSloPath(p.path, built.origin, built.input);
        reportFor(at.doc ?? doc)(
          at.path,
          `${p.message} (autoweave field ${p.path === '' ? '(root)' : p.path})`,
        );
      }
    }
  }
  if (problems.length === 0 && inputs.length === 0) {
    problems.push({ document: 1, path: 'kind', message: 'no kind: SLO document found; nothing to import' });
  }
  if (problems.length > 0) throw new OpenSloError(problems, source);
  return inputs;
}

function openSloPath(path: string, origin: Origin, input: SloInput): { path: string; doc?: Doc | undefined } {
  const head = path.split(/[.[]/)[0] ?? '';
  const annotation = (key: string): string => `metadata.annotations["${key}"]`;
  switch (head) {
    case 'id':
      return { path: 'metadata.name' };
    case 'service':
      return { path: 'spec.service' };
    case 'description':
      return { path: 'spec.description' };
    case 'objective':
      return { path: origin.objective };
    case 'window':
      return { path: 'spec.timeWindow[0].duration' };
    case 'labels':
      return { path: `metadata.${path}` };
    case 'groupBy':
      return { path: annotation(ANNOTATION.groupBy) };
    case 'minEvents':
      return { path: annotation(ANNOTATION.minEvents) };
    case 'runbookUrl':
      return { path: annotation(ANNOTATION.runbookUrl) };
    case 'tiers':
      return { path: input.tiers !== undefined ? annotation(ANNOTATION.tiers) : origin.objective };
    case 'sli': {
      const part = /^sli\.(good|bad|total)\b/.exec(path)?.[1] as 'good' | 'bad' | 'total' | undefined;
      const latencyField = /^sli\.(histogram|thresholdSeconds|matchers)/.test(path);
      const where =
        part !== undefined ? origin.parts[part] : latencyField ? origin.parts.good : origin.indicator;
      return { path: where, doc: origin.indicatorDoc };
    }
    default:
      return { path: '' };
  }
}

interface Context {
  readonly slis: ReadonlyMap<string, Doc>;
  readonly dataSources: ReadonlyMap<string, Doc>;
}

function sloInputOf(
  doc: Doc,
  context: Context,
  report: Report,
  reportFor: (doc: Doc) => Report,
): { input: SloInput; origin: Origin } | undefined {
  const spec = doc.value['spec'];
  if (!isRecord(spec)) {
    report('spec', `must be a mapping, got ${show(spec)}`);
    return undefined;
  }
  for (const key of Object.keys(spec)) {
    if (!(SUPPORTED_SPEC_KEYS as readonly string[]).includes(key)) {
      report(`spec.${key}`, `is not a field of an OpenSLO v1 SLO (${SUPPORTED_SPEC_KEYS.join(', ')})`);
    }
  }
  if (spec['alertPolicies'] !== undefined) {
    report(
      'spec.alertPolicies',
      `alert policies are not imported: autoweave alerts on multi-window burn-rate tiers. Remove them; give tiers in the ${ANNOTATION.tiers} annotation, or keep the default tiers`,
    );
  }

  const metadata = doc.value['metadata'] as Record<string, unknown>;
  const annotations = readAnnotations(metadata['annotations'], report);
  const labels = readLabels(metadata['labels'], report);

  const service = spec['service'];
  if (typeof service !== 'string' || service === '') {
    report(
      'spec.service',
      `is required: the service the SLO belongs to (the slo_service label), got ${show(service)}`,
    );
  }
  const description = spec['description'] ?? metadata['displayName'];
  if (typeof description !== 'string' || description.trim() === '') {
    report('spec.description', 'is required (or metadata.displayName): it is shown in alert annotations');
  }

  const budgeting = spec['budgetingMethod'];
  if (budgeting !== 'Occurrences') {
    report(
      'spec.budgetingMethod',
      budgeting === 'Timeslices' || budgeting === 'RatioTimeslices'
        ? `${budgeting} is not supported: autoweave budgets by events (Occurrences), which is what its burn-rate alerts measure`
        : `must be Occurrences (the only budgeting method autoweave supports), got ${show(budgeting)}`,
    );
  }

  const window = readTimeWindow(spec['timeWindow'], report);
  const objective = readObjective(spec['objectives'], report);
  const indicator = readIndicator(doc, spec, context, report, reportFor);
  if (indicator === undefined || objective === undefined) return undefined;
  if (typeof service !== 'string' || typeof description !== 'string') return undefined;

  const input: SloInput = {
    id: doc.name as string,
    service,
    description,
    objective: objective.value,
    ...(window !== undefined ? { window } : {}),
    sli: indicator.sli,
    ...(annotations.groupBy !== undefined ? { groupBy: annotations.groupBy } : {}),
    ...(annotations.minEvents !== undefined ? { minEvents: annotations.minEvents } : {}),
    ...(labels !== undefined ? { labels } : {}),
    ...(annotations.runbookUrl !== undefined ? { runbookUrl: annotations.runbookUrl } : {}),
    ...(annotations.tiers !== undefined ? { tiers: annotations.tiers } : {}),
  };
  return {
    input,
    origin: {
      objective: objective.path,
      indicator: indicator.path,
      indicatorDoc: indicator.doc,
      parts: indicator.parts,
    },
  };
}

interface Annotations {
  groupBy?: string[];
  minEvents?: number;
  runbookUrl?: string;
  tiers?: AlertTierInput[];
}

function readAnnotations(value: unknown, report: Report): Annotations {
  const out: Annotations = {};
  if (value === undefined) return out;
  if (!isRecord(value)) {
    report('metadata.annotations', `must be a mapping of string → string, got ${show(value)}`);
    return out;
  }
  for (const [key, v] of Object.entries(value)) {
    if (!key.startsWith(OPENSLO_ANNOTATION_PREFIX)) continue; // other tools' metadata
    const path = `metadata.annotations["${key}"]`;
    if (!KNOWN_ANNOTATIONS.includes(key)) {
      report(path, `unknown autoweave annotation; known: ${KNOWN_ANNOTATIONS.join(', ')}`);
      continue;
    }
    if (typeof v !== 'string') {
      report(path, `must be a string (quote it), got ${show(v)}`);
      continue;
    }
    if (key === ANNOTATION.groupBy) {
      out.groupBy = v
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== '');
    } else if (key === ANNOTATION.minEvents) {
      if (!/^\d+$/.test(v.trim())) report(path, `must be a whole number of events, got ${show(v)}`);
      else out.minEvents = Number(v.trim());
    } else if (key === ANNOTATION.runbookUrl) {
      out.runbookUrl = v;
    } else {
      let tiers: unknown;
      try {
        tiers = JSON.parse(v);
      } catch (error) {
        report(path, `must be a JSON array of alert tiers: ${(error as Error).message}`);
        continue;
      }
      if (!Array.isArray(tiers)) report(path, `must be a JSON array of alert tiers, got ${show(tiers)}`);
      else out.tiers = tiers as AlertTierInput[];
    }
  }
  return out;
}

function readLabels(value: unknown, report: Report): Record<string, string> | undefined {
  if (value === undefined) return undefined;
  if (!isRecord(value)) {
    report('metadata.labels', `must be a mapping of label → value, got ${show(value)}`);
    return undefined;
  }
  const out: Record<string, string> = {};
  for (const [key, v] of Object.entries(value)) {
    if (typeof v === 'string') out[key] = v;
    else if (Array.isArray(v)) {
      report(
        `metadata.labels.${key}`,
        'a list of values is not supported: labels become alert routing labels, which hold one string each',
      );
    } else report(`metadata.labels.${key}`, `must be a string (quote it), got ${show(v)}`);
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

function readTimeWindow(value: unknown, report: Report): string | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || value.length !== 1) {
    report('spec.timeWindow', `must be a list of exactly one window, got ${show(value)}`);
    return undefined;
  }
  const w: unknown = value[0];
  if (!isRecord(w)) {
    report('spec.timeWindow[0]', `must be { duration, isRolling: true }, got ${show(w)}`);
    return undefined;
  }
  if (w['calendar'] !== undefined || w['isRolling'] === false) {
    report(
      'spec.timeWindow[0]',
      'calendar-aligned windows are not supported: autoweave windows roll. Use { duration: 30d, isRolling: true }',
    );
    return undefined;
  }
  const duration = w['duration'];
  if (typeof duration === 'string' && /^\d+[MQY]$/.test(duration)) {
    report(
      'spec.timeWindow[0].duration',
      `${duration}: months, quarters and years (M, Q, Y) are calendar units and not supported; give days, e.g. 30d, 90d, 365d`,
    );
    return undefined;
  }
  const ms = parsePrometheusDuration(duration);
  if (ms === undefined || ms === 0) {
    report('spec.timeWindow[0].duration', `${show(duration)} is not a duration such as 28d, 4w or 720h`);
    return undefined;
  }
  return duration as string;
}

function readObjective(value: unknown, report: Report): { value: number; path: string } | undefined {
  if (!Array.isArray(value) || value.length === 0) {
    report(
      'spec.objectives',
      `must be a list with one objective, e.g. [{ target: 0.999 }], got ${show(value)}`,
    );
    return undefined;
  }
  if (value.length > 1) {
    report(
      'spec.objectives',
      `has ${value.length} objectives; autoweave SLOs have one. Split the document into one SLO per objective`,
    );
    return undefined;
  }
  const o: unknown = value[0];
  const at = 'spec.objectives[0]';
  if (!isRecord(o)) {
    report(at, `must be { target: 0.999 }, got ${show(o)}`);
    return undefined;
  }
  let ok = true;
  if (o['op'] !== undefined || o['value'] !== undefined) {
    report(
      `${at}.${o['op'] !== undefined ? 'op' : 'value'}`,
      'threshold objectives (op/value) belong to thresholdMetric SLIs, which are not supported',
    );
    ok = false;
  }
  if (o['timeSliceTarget'] !== undefined || o['timeSliceWindow'] !== undefined) {
    report(
      `${at}.timeSlice${o['timeSliceTarget'] !== undefined ? 'Target' : 'Window'}`,
      'time slices are not supported: autoweave budgets by events (Occurrences)',
    );
    ok = false;
  }
  for (const key of ['indicator', 'indicatorRef', 'compositeWeight']) {
    if (o[key] !== undefined) {
      report(`${at}.${key}`, 'composite SLOs are not supported; write one SLO document per indicator');
      ok = false;
    }
  }
  const target = o['target'];
  const percent = o['targetPercent'];
  if (target !== undefined && percent !== undefined) {
    report(at, 'give one of target and targetPercent, not both');
    return undefined;
  }
  if (percent !== undefined) {
    if (typeof percent !== 'number' || !Number.isFinite(percent)) {
      report(`${at}.targetPercent`, `must be a number such as 99.9, got ${show(percent)}`);
      return undefined;
    }
    const fraction = toNumber(divideDecimal(parseDecimal(percent), parseDecimal(100)).value);
    return ok ? { value: fraction, path: `${at}.targetPercent` } : undefined;
  }
  if (typeof target !== 'number' || !Number.isFinite(target)) {
    report(`${at}.target`, `must be a number such as 0.999, got ${show(target)}`);
    return undefined;
  }
  return ok ? { value: target, path: `${at}.target` } : undefined;
}

interface IndicatorResult {
  readonly sli: SliInput;
  readonly path: string;
  readonly doc: Doc | undefined;
  readonly parts: Record<'good' | 'bad' | 'total', string>;
}

function readIndicator(
  doc: Doc,
  spec: Record<string, unknown>,
  context: Context,
  report: Report,
  reportFor: (doc: Doc) => Report,
): IndicatorResult | undefined {
  const inline = spec['indicator'];
  const ref = spec['indicatorRef'];
  if ((inline === undefined) === (ref === undefined)) {
    report(
      'spec',
      inline === undefined
        ? 'give an indicator or an indicatorRef'
        : 'give indicator or indicatorRef, not both',
    );
    return undefined;
  }
  let sliSpec: unknown;
  let base: string;
  let sliDoc: Doc | undefined;
  let sliReport = report;
  if (inline !== undefined) {
    if (!isRecord(inline)) {
      report('spec.indicator', `must be { metadata, spec: { ratioMetric } }, got ${show(inline)}`);
      return undefined;
    }
    sliSpec = inline['spec'];
    base = 'spec.indicator.spec';
  } else {
    sliDoc = typeof ref === 'string' ? context.slis.get(ref) : undefined;
    if (sliDoc === undefined) {
      report(
        'spec.indicatorRef',
        `${show(ref)}: no kind: SLI document of that name in this text; include it, or inline the indicator`,
      );
      return undefined;
    }
    sliSpec = sliDoc.value['spec'];
    base = 'spec';
    sliReport = reportFor(sliDoc);
  }
  if (!isRecord(sliSpec)) {
    sliReport(base, `must be a mapping with ratioMetric, got ${show(sliSpec)}`);
    return undefined;
  }
  if (sliSpec['thresholdMetric'] !== undefined) {
    sliReport(
      `${base}.thresholdMetric`,
      'is not supported: autoweave SLIs are ratios of counted events. Use ratioMetric with counter: true (a latency SLI is good = <histogram>_bucket{le="<threshold>"}, total = <histogram>_count)',
    );
    return undefined;
  }
  const ratio = sliSpec['ratioMetric'];
  const at = `${base}.ratioMetric`;
  if (!isRecord(ratio)) {
    sliReport(at, `is required (the only SLI kind autoweave imports), got ${show(ratio)}`);
    return undefined;
  }
  if (ratio['raw'] !== undefined || ratio['rawType'] !== undefined) {
    sliReport(
      `${at}.${ratio['raw'] !== undefined ? 'raw' : 'rawType'}`,
      'precomputed ratios are not supported: give good or bad plus total counters, so windows and burn rates can be computed from events',
    );
    return undefined;
  }
  if (ratio['counter'] !== true) {
    sliReport(
      `${at}.counter`,
      ratio['counter'] === false
        ? 'counter: false (gauges) is not supported: good/bad/total must be monotonically increasing counters'
        : 'set counter: true: good/bad/total must be monotonically increasing counters',
    );
    return undefined;
  }
  const parts: Record<'good' | 'bad' | 'total', string> = {
    good: `${at}.good.metricSource.spec.query`,
    bad: `${at}.bad.metricSource.spec.query`,
    total: `${at}.total.metricSource.spec.query`,
  };
  const selectors: Partial<Record<'good' | 'bad' | 'total', Selector>> = {};
  let ok = true;
  for (const part of ['good', 'bad', 'total'] as const) {
    if (ratio[part] === undefined) continue;
    const selector = readQuery(ratio[part], `${at}.${part}`, context, sliReport);
    if (selector === undefined) ok = false;
    else selectors[part] = selector;
  }
  if (ratio['total'] === undefined) {
    sliReport(`${at}.total`, 'is required (the denominator)');
    return undefined;
  }
  if ((ratio['good'] === undefined) === (ratio['bad'] === undefined)) {
    sliReport(at, 'give exactly one of good and bad besides total');
    return undefined;
  }
  const { good, bad, total } = selectors;
  if (!ok || total === undefined || (good ?? bad) === undefined) return undefined;
  const result = (sli: SliInput): IndicatorResult => ({ sli, path: at, doc: sliDoc, parts });

  const bucketOf = (s: Selector): string | undefined =>
    s.metric.endsWith('_bucket') ? s.metric.slice(0, -'_bucket'.length) : undefined;
  if (bad !== undefined && bucketOf(bad) !== undefined) {
    sliReport(
      parts.bad,
      'a histogram bucket cannot be the bad events (bad = count − bucket is not a selector); write good = <histogram>_bucket{le="<threshold>"} and total = <histogram>_count',
    );
    return undefined;
  }
  if (good !== undefined && bucketOf(good) !== undefined) {
    return latencyOf(good, total, parts, sliReport, result);
  }
  if (bucketOf(total) !== undefined || total.metric.endsWith('_count')) {
    sliReport(
      parts.total,
      `${total.metric} is part of a histogram; a latency SLI needs good = ${total.metric.replace(/_(count|bucket)$/, '')}_bucket{le="<threshold>"}`,
    );
    return undefined;
  }
  const counter = (s: Selector): CounterSelector =>
    Object.keys(s.matchers).length > 0 ? { metric: s.metric, matchers: s.matchers } : { metric: s.metric };
  return result({
    kind: 'ratio',
    total: counter(total),
    ...(good !== undefined ? { good: counter(good) } : {}),
    ...(bad !== undefined ? { bad: counter(bad) } : {}),
  });
}

function latencyOf(
  good: Selector,
  total: Selector,
  parts: Record<'good' | 'bad' | 'total', string>,
  report: Report,
  result: (sli: SliInput) => IndicatorResult,
): IndicatorResult | undefined {
  const histogram = good.metric.slice(0, -'_bucket'.length);
  const { le, ...matchers } = good.matchers;
  if (le === undefined) {
    report(
      parts.good,
      `${good.metric} needs le="<threshold in seconds>": the bucket of the latency threshold`,
    );
    return undefined;
  }
  const threshold = Number(le);
  if (le.trim() === '' || !Number.isFinite(threshold) || threshold <= 0) {
    report(parts.good, `le="${le}" is not a latency threshold in seconds (e.g. le="0.08")`);
    return undefined;
  }
  const totalIsInf =
    total.metric === good.metric && ['+Inf', 'Inf', '+inf', 'inf'].includes(total.matchers['le'] ?? '');
  if (total.metric !== `${histogram}_count` && !totalIsInf) {
    report(parts.total, `must be ${histogram}_count (the histogram of the good query), got ${total.metric}`);
    return undefined;
  }
  const totalMatchers: Record<string, string> = { ...total.matchers };
  delete totalMatchers['le'];
  const keys = Object.keys(matchers);
  if (
    keys.length !== Object.keys(totalMatchers).length ||
    keys.some((k) => totalMatchers[k] !== matchers[k])
  ) {
    report(parts.total, 'must select the same series as good apart from le (the same label matchers)');
    return undefined;
  }
  return result({
    kind: 'latency',
    histogram,
    thresholdSeconds: threshold,
    ...(keys.length > 0 ? { matchers } : {}),
  });
}

function readQuery(value: unknown, at: string, context: Context, report: Report): Selector | undefined {
  const source = isRecord(value) ? value['metricSource'] : undefined;
  if (!isRecord(source)) {
    report(`${at}.metricSource`, `is required: { type: Prometheus, spec: { query } }, got ${show(source)}`);
    return undefined;
  }
  let type = source['type'];
  const ref = source['metricSourceRef'];
  if (type === undefined && ref !== undefined) {
    const ds = typeof ref === 'string' ? context.dataSources.get(ref) : undefined;
    if (ds === undefined) {
      report(
        `${at}.metricSource.metricSourceRef`,
        `${show(ref)}: no kind: DataSource document of that name in this text; include it or set type: Prometheus`,
      );
      return undefined;
    }
    const dsSpec = ds.value['spec'];
    type = isRecord(dsSpec) ? dsSpec['type'] : undefined;
  }
  if (typeof type !== 'string' || type.toLowerCase() !== 'prometheus') {
    report(
      `${at}.metricSource.type`,
      `${show(type)} is not supported: autoweave generates Prometheus rules, so good/bad/total must be Prometheus queries (type: Prometheus)`,
    );
    return undefined;
  }
  const spec = source['spec'];
  const query = isRecord(spec) ? spec['query'] : undefined;
  if (typeof query !== 'string' || query.trim() === '') {
    report(`${at}.metricSource.spec.query`, `is required: the counter selector, got ${show(query)}`);
    return undefined;
  }
  const selector = parseSelector(query);
  if (typeof selector === 'string') {
    report(`${at}.metricSource.spec.query`, selector);
    return undefined;
  }
  return selector;
}
