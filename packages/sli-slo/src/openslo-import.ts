// OpenSLO import: fromOpenSlo reads the subset that maps onto an SloInput, naming document and field otherwise.
import { parsePrometheusDuration } from '@autoweave/tenant-isolation';
import { parseAllDocuments } from 'yaml';
import { defineSlo } from './define';
import { divideDecimal, parseDecimal, toNumber } from './decimal';
import {
  ANNOTATION,
  OPENSLO_ANNOTATION_PREFIX,
  OpenSloError,
  show,
  type Context,
  type Doc,
  type OpenSloProblem,
  type Report,
} from './openslo';
import { readIndicator } from './openslo-indicator';
import { SloDefinitionError, isRecord } from './problems';
import type { AlertTierInput, SloInput } from './types';

const KNOWN_ANNOTATIONS: readonly string[] = Object.values(ANNOTATION);

/** Options of {@link fromOpenSlo}. */
export interface FromOpenSloOptions {
  /** Names the text in errors (a file path). Default `OpenSLO input`. */
  readonly source?: string;
}

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
