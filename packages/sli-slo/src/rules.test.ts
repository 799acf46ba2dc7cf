import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findBinary } from '@autoweave/test-utils';
import { parse } from 'yaml';
import { defineSlo } from './define';
import { DEFAULT_TIERS } from './define-tiers';
import { AVAILABILITY_SLO, DEFAULT_SLOS, USB_EVENT_LATENCY_SLO } from './defaults';
import {
  type AlertingRule,
  type PrometheusRuleFile,
  type RecordingRule,
  generatePrometheusRules,
  rulesToYaml,
} from './rules';
import type { SloDefinition } from './types';

function rulesOf(file: PrometheusRuleFile, group = 0): (RecordingRule | AlertingRule)[] {
  return [...(file.groups[group]?.rules ?? [])];
}
function record(file: PrometheusRuleFile, name: string): RecordingRule {
  const rule = rulesOf(file).find((r): r is RecordingRule => 'record' in r && r.record === name);
  if (rule === undefined) throw new Error(`no recording rule ${name}`);
  return rule;
}
function alerts(file: PrometheusRuleFile): AlertingRule[] {
  return rulesOf(file).filter((r): r is AlertingRule => 'alert' in r);
}

const GROUPED = defineSlo({
  id: 'checkout',
  service: 'shop',
  description: 'Checkouts "succeed".',
  objective: 0.995,
  window: '28d',
  sli: {
    kind: 'ratio',
    total: { metric: 'x_requests_total' },
    good: { metric: 'x_requests_total', matchers: { outcome: 'success' } },
  },
  groupBy: ['tenant_id'],
  minEvents: 50,
  labels: { team: 'payments' },
  runbookUrl: 'https://runbooks.example.com/checkout',
});

describe('generatePrometheusRules', () => {
  it('records the error ratio of every window of the definition, labelled with identity and window', () => {
    const file = generatePrometheusRules([AVAILABILITY_SLO]);
    expect(file.groups.map((g) => g.name)).toEqual(['slo-availability']);
    const ratios = rulesOf(file)
      .filter((r): r is RecordingRule => 'record' in r && r.record.startsWith('slo:sli_error:ratio_rate'))
      .map((r) => [r.record, r.labels?.['slo_window']]);
    expect(ratios).toEqual(
      ['5m', '30m', '1h', '2h', '6h', '1d', '3d', '30d'].map((w) => [`slo:sli_error:ratio_rate${w}`, w]),
    );
    expect(record(file, 'slo:sli_error:ratio_rate1h')).toEqual({
      record: 'slo:sli_error:ratio_rate1h',
      expr:
        '(sum(rate(autoweave_requests_total{status_class="5xx"}[1h])) or 0 * sum(rate(autoweave_requests_total[1h])))' +
        ' / sum(rate(autoweave_requests_total[1h]))',
      labels: { slo_id: 'availability', slo_service: 'platform', slo_window: '1h' },
    });
  });

  it('weighs the SLO-window ratio by traffic from recorded 5m event rates instead of re-reading raw series', () => {
    const file = generatePrometheusRules([AVAILABILITY_SLO]);
    const id = '{slo_id="availability",slo_service="platform"}';
    expect(record(file, 'slo:sli_bad_events:rate5m').expr).toBe(
      'sum(rate(autoweave_requests_total{status_class="5xx"}[5m])) or 0 * sum(rate(autoweave_requests_total[5m]))',
    );
    expect(record(file, 'slo:sli_total_events:rate5m').expr).toBe('sum(rate(autoweave_requests_total[5m]))');
    expect(record(file, 'slo:sli_error:ratio_rate30d').expr).toBe(
      `sum_over_time(slo:sli_bad_events:rate5m${id}[30d]) / sum_over_time(slo:sli_total_events:rate5m${id}[30d])`,
    );
  });

  it('reads the SLO window live when a tier alerts on it', () => {
    const slo = defineSlo({
      id: 'short',
      service: 's',
      description: 'd',
      objective: 0.99,
      window: '3d',
      sli: AVAILABILITY_SLO.sli,
    });
    const file = generatePrometheusRules([slo]);
    expect(record(file, 'slo:sli_error:ratio_rate3d').expr).toContain('rate(autoweave_requests_total[3d])');
    expect(rulesOf(file).some((r) => 'record' in r && r.record.startsWith('slo:sli_bad_events'))).toBe(false);
  });

  it('records objective, budget, period, burn rates and remaining budget with exact decimals', () => {
    const file = generatePrometheusRules([AVAILABILITY_SLO]);
    const id = '{slo_id="availability",slo_service="platform"}';
    expect(record(file, 'slo:objective:ratio').expr).toBe('vector(0.999)');
    expect(record(file, 'slo:error_budget:ratio').expr).toBe('vector(0.001)');
    expect(record(file, 'slo:time_period:seconds').expr).toBe('vector(2592000)');
    expect(record(file, 'slo:current_burn_rate:ratio')).toEqual({
      record: 'slo:current_burn_rate:ratio',
      expr: `slo:sli_error:ratio_rate5m${id} / 0.001`,
      labels: { slo_id: 'availability', slo_service: 'platform', slo_window: '5m' },
    });
    expect(record(file, 'slo:period_burn_rate:ratio').expr).toBe(`slo:sli_error:ratio_rate30d${id} / 0.001`);
    expect(record(file, 'slo:period_error_budget_remaining:ratio').expr).toBe(
      `1 - slo:period_burn_rate:ratio${id}`,
    );
  });

  it('keeps description, objective and routing labels on slo_info only, so editing them never splits a series', () => {
    const file = generatePrometheusRules([GROUPED]);
    expect(record(file, 'slo_info')).toEqual({
      record: 'slo_info',
      expr: 'vector(1)',
      labels: {
        slo_id: 'checkout',
        slo_service: 'shop',
        slo_description: 'Checkouts "succeed".',
        slo_objective: '0.995',
        slo_window: '28d',
        slo_sli: 'ratio',
        team: 'payments',
      },
    });
    for (const rule of rulesOf(file)) {
      if ('record' in rule && rule.record !== 'slo_info')
        expect(Object.keys(rule.labels ?? {})).not.toContain('team');
    }
  });

  it('writes one alert per tier with the exact threshold on both windows', () => {
    const [fast, slow, ticketFast, ticketSlow] = alerts(generatePrometheusRules([AVAILABILITY_SLO]));
    const id = '{slo_id="availability",slo_service="platform"}';
    expect(fast?.expr).toBe(
      [
        `max without (slo_window) (slo:sli_error:ratio_rate1h${id} > 0.0144)`,
        'and',
        `max without (slo_window) (slo:sli_error:ratio_rate5m${id} > 0.0144)`,
      ].join('\n'),
    );
    expect([fast, slow, ticketFast, ticketSlow].map((a) => a?.expr.match(/> ([\d.]+)\)/)?.[1])).toEqual([
      '0.0144',
      '0.006',
      '0.003',
      '0.001',
    ]);
    expect(fast?.labels).toEqual({
      severity: 'page',
      slo_tier: 'page-fast',
      slo_id: 'availability',
      slo_service: 'platform',
    });
    expect(ticketSlow?.labels['severity']).toBe('ticket');
    expect(fast?.for).toBeUndefined();
  });

  it('writes 28d thresholds without float noise', () => {
    const thresholds = alerts(generatePrometheusRules([GROUPED]))
      .slice(0, 4)
      .map((a) => a.expr.match(/> ([\d.]+)\)/)?.[1]);
    expect(thresholds).toEqual(['0.0672', '0.028', '0.014', '0.004666666666665']);
  });

  it('guards grouped alerts with the event count of the long window, matched on the group labels', () => {
    const [fast] = alerts(generatePrometheusRules([GROUPED]));
    expect(fast?.expr.split('\n').slice(2)).toEqual([
      'max without (slo_window) (slo:sli_error:ratio_rate5m{slo_id="checkout",slo_service="shop"} > 0.0672)',
      'and on (tenant_id)',
      'sum by (tenant_id) (increase(x_requests_total[1h])) >= 50',
    ]);
    expect(fast?.labels).toEqual({
      severity: 'page',
      slo_tier: 'page-fast',
      slo_id: 'checkout',
      slo_service: 'shop',
      team: 'payments',
    });
    expect(fast?.annotations['summary']).toBe(
      'SLO checkout (shop) is burning its error budget 13.44x too fast for tenant_id={{ $labels.tenant_id }}',
    );
    expect(fast?.annotations['runbook_url']).toBe('https://runbooks.example.com/checkout');
  });

  it('explains the burn with the long-window ratio, threshold, budget and time to exhaustion', () => {
    const [fast] = alerts(generatePrometheusRules([USB_EVENT_LATENCY_SLO]));
    expect(fast?.annotations['description']).toBe(
      '{{ $value | humanizePercentage }} of events took longer than 80ms over the last 1h and more than 72% over the last 5m' +
        ' (threshold 72% = 14.4x the 5% error budget of a 95% objective over 30d). At this rate the budget is spent in 2d2h.' +
        ' SLO: 95% of USB device events are handled within 80 ms.',
    );
  });

  it('adds for: when the tier has one', () => {
    const slo = defineSlo({
      ...AVAILABILITY_SLO,
      tiers: DEFAULT_TIERS.map((t) => (t.severity === 'page' ? { ...t, for: '2m' } : t)),
    });
    expect(alerts(generatePrometheusRules([slo])).map((a) => a.for)).toEqual([
      '2m',
      '2m',
      undefined,
      undefined,
      '10m',
    ]);
  });

  it('raises a ticket when the total metric is absent', () => {
    const noData = alerts(generatePrometheusRules([USB_EVENT_LATENCY_SLO], { noDataFor: '15m' })).at(-1);
    expect(noData).toMatchObject({
      alert: 'SloNoData',
      expr: 'absent(autoweave_usb_event_duration_seconds_count)',
      for: '15m',
      labels: { severity: 'ticket', slo_id: 'usb-event-latency', slo_service: 'usb-watcher' },
    });
  });

  it('takes alert names and the group interval from the options', () => {
    const file = generatePrometheusRules([AVAILABILITY_SLO], {
      burnAlertName: 'BudgetBurn',
      noDataAlertName: 'SliMissing',
      interval: '30s',
    });
    expect(file.groups[0]?.interval).toBe('30s');
    expect(new Set(alerts(file).map((a) => a.alert))).toEqual(new Set(['BudgetBurn', 'SliMissing']));
  });

  it('rejects duplicate ids, clashing names and bad durations with what to change', () => {
    expect(() => generatePrometheusRules([AVAILABILITY_SLO, AVAILABILITY_SLO])).toThrow(
      'two SLOs have the id "availability"',
    );
    expect(() => generatePrometheusRules([], { burnAlertName: 'X', noDataAlertName: 'X' })).toThrow(
      'give them different names',
    );
    expect(() => generatePrometheusRules([], { noDataFor: 'ten minutes' })).toThrow('write e.g. "10m"');
    expect(() => generatePrometheusRules([], { burnAlertName: 'slo-burn' })).toThrow(
      'not a valid alert name',
    );
    const clash = defineSlo({ ...AVAILABILITY_SLO, labels: { slo_sli: 'x' } });
    expect(() => generatePrometheusRules([clash])).toThrow('routing label "slo_sli" collides');
  });
});

describe('rulesToYaml', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sli-slo-rules-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  function checkRules(file: string): Promise<{ code: number | null; output: string }> {
    const bin = findBinary('promtool', 'PROMTOOL_BIN');
    return new Promise((resolve, reject) => {
      const child = spawn(bin, ['check', 'rules', file], { stdio: ['ignore', 'pipe', 'pipe'] });
      let output = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => (output += d));
      child.stderr.setEncoding('utf8').on('data', (d: string) => (output += d));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, output }));
    });
  }

  it('writes a file that promtool accepts without lint warnings, header first, no YAML aliases', async () => {
    const odd = defineSlo({
      id: 'odd',
      service: 'odd "service"',
      description: 'Quotes " and {{ braces }} survive.',
      objective: 0.97,
      sli: { kind: 'latency', histogram: 'x_seconds', thresholdSeconds: 1 },
      groupBy: ['tenant_id', 'region'],
      minEvents: 10,
    });
    const slos: SloDefinition[] = [...DEFAULT_SLOS, GROUPED, odd];
    const text = rulesToYaml(generatePrometheusRules(slos));
    expect(text.startsWith('# Generated by @autoweave/sli-slo')).toBe(true);
    expect(text).not.toMatch(/[&*]a\d/);
    expect(parse(text)).toEqual(JSON.parse(JSON.stringify(generatePrometheusRules(slos))));
    expect(text).toContain('le=~"1|1\\\\.0"');
    expect(text).toContain(`SLO: Quotes " and {{ "{{" }} braces }} survive.'`);
    const file = join(dir, 'rules.yml');
    await writeFile(file, text);
    const result = await checkRules(file);
    const count = generatePrometheusRules(slos).groups.reduce((n, g) => n + g.rules.length, 0);
    expect(result.output).toContain(`SUCCESS: ${count} rules found`);
    expect(result.output).not.toContain('lint');
    expect(result.code).toBe(0);
  });

  it('writes a file promtool rejects once an expression is broken, so the check above means something', async () => {
    const text = rulesToYaml(generatePrometheusRules([AVAILABILITY_SLO])).replace('> 0.0144)', '> 0.0144');
    const file = join(dir, 'broken.yml');
    await writeFile(file, text);
    const result = await checkRules(file);
    expect(result.code).toBe(1);
    expect(result.output).toContain('parse error');
  });
});
