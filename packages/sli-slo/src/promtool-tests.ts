// Generated behavioural tests: `promtool test rules` suites built from the same definitions as the
// rules, with synthetic series and the exact alerts Prometheus must produce, computed by replaying
// Prometheus' own arithmetic (rate extrapolation, vector matching, `for`, template functions).
import { Document, isMap, isSeq } from 'yaml';
import { formatDuration } from './duration';
import { UnportableSamplesError } from './prometheus-sim';
import { GENERATED_HEADER, checkDistinctIds, resolveRulesOptions } from './rules';
import type { SloDefinition } from './types';
import {
  FAST,
  LONG,
  MINUTE,
  fullOutageScenario,
  halfBurnScenario,
  lowTrafficScenario,
  noDataScenario,
  outageScenario,
  samplingNote,
  slowBurnScenario,
  type Context,
  type RuleTestScenario,
  type RuleTestSuite,
  type RuleTestsOptions,
} from './promtool-scenarios';

export type {
  AlertAssertion,
  ExpectedAlert,
  RuleTestScenario,
  RuleTestSuite,
  RuleTestsOptions,
  SampleAssertion,
} from './promtool-scenarios';
// ---- suites -----------------------------------------------------------------------------------------

/** Enough events per step that a 0.5× burn is a whole number of bad events with 3 digits to spare. */
function trafficFor(slo: SloDefinition): number {
  let traffic = 10 ** Math.max(3, Math.ceil(Math.log10(1000 / Number(slo.errorBudget))));
  while (traffic < slo.minEvents) traffic *= 10;
  return traffic;
}

function checkWindows(slo: SloDefinition): void {
  for (const tier of slo.tiers) {
    for (const ms of [tier.shortWindowMs, tier.longWindowMs]) {
      // Whole minutes keep range starts off the samples; 5m keeps two 2m samples in every window.
      if (ms % MINUTE !== 0 || ms < 5 * MINUTE) {
        throw new Error(
          `SLO "${slo.id}" tier "${tier.name}": generated tests need alert windows of whole minutes, at least 5m (got ${formatDuration(ms)})`,
        );
      }
    }
  }
}

/**
 * The `promtool test rules` suites of `slos`, as data: per SLO a fast file (1m evaluations: outage
 * and recovery, no data, the min-events guard) and a long file (30m evaluations over days: 0.5× burn,
 * slow burn, full outage firing every tier).
 */
export function buildRuleTestSuites(
  slos: readonly SloDefinition[],
  options: RuleTestsOptions,
): RuleTestSuite[] {
  const resolved = resolveRulesOptions(options);
  checkDistinctIds(slos);
  const fileOf = (slo: SloDefinition): string =>
    typeof options.ruleFile === 'string' ? options.ruleFile : options.ruleFile(slo);
  const suites: RuleTestSuite[] = [];
  try {
    for (const slo of slos) {
      checkWindows(slo);
      const ruleFile = fileOf(slo);
      const ruleSlos = slos.filter((s) => fileOf(s) === ruleFile);
      const base = { slo, ruleSlos, options: resolved, traffic: trafficFor(slo) };
      const fast: Context = { ...base, grid: FAST };
      const long: Context = { ...base, grid: LONG };
      const fastScenarios = [outageScenario(fast), noDataScenario(fast), lowTrafficScenario(fast)].filter(
        (s): s is RuleTestScenario => s !== undefined,
      );
      suites.push(
        { fileName: `${slo.id}.test.yml`, slo, ruleFile, grid: FAST, scenarios: fastScenarios },
        {
          fileName: `${slo.id}.long.test.yml`,
          slo,
          ruleFile,
          grid: LONG,
          scenarios: [halfBurnScenario(long), slowBurnScenario(long), fullOutageScenario(long)],
        },
      );
    }
  } catch (err) {
    if (err instanceof UnportableSamplesError) {
      throw new Error(
        `internal: the synthetic samples would make the tests depend on the Prometheus version (${err.message})`,
        { cause: err },
      );
    }
    throw err;
  }
  return suites;
}

function sorted(labels: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(
    Object.keys(labels)
      .sort()
      .map((k) => [k, labels[k] as string]),
  );
}

/** YAML text of one suite, with a comment above each check saying why it is there. */
export function suiteToYaml(suite: RuleTestSuite): string {
  const doc = new Document(
    {
      rule_files: [suite.ruleFile],
      evaluation_interval: formatDuration(suite.grid.evalMs),
      tests: suite.scenarios.map((s) => ({
        name: s.name,
        interval: `${suite.grid.sampleMs}ms`,
        input_series: s.series.map((x) => ({ series: x.series, values: x.values })),
        alert_rule_test: s.alerts.map((a) => ({
          eval_time: formatDuration(a.evalTimeMs),
          alertname: a.alertname,
          exp_alerts: a.alerts.map((e) => ({ exp_labels: sorted(e.labels), exp_annotations: e.annotations })),
        })),
        ...(s.samples.length > 0
          ? {
              promql_expr_test: s.samples.map((p) => ({
                expr: p.expr,
                eval_time: formatDuration(p.evalTimeMs),
                exp_samples: p.samples.map((x) => ({ labels: x.labels, value: x.value })),
              })),
            }
          : {}),
      })),
    },
    { aliasDuplicateObjects: false },
  );
  doc.commentBefore = [
    GENERATED_HEADER,
    ` promtool test rules suite for SLO "${suite.slo.id}".`,
    ...samplingNote(suite.grid),
  ].join('\n');
  const tests = doc.get('tests', true);
  if (isSeq(tests)) {
    suite.scenarios.forEach((scenario, i) => {
      const node = tests.items[i];
      const checks = isMap(node) ? node.get('alert_rule_test', true) : undefined;
      if (!isSeq(checks)) return;
      scenario.alerts.forEach((a, j) => {
        const item = checks.items[j];
        if (isMap(item)) item.commentBefore = ` ${a.comment}`;
      });
    });
  }
  return doc.toString({ lineWidth: 0 });
}

/**
 * `promtool test rules` suites for `slos`, as `{ fileName: yaml }`: per SLO `<id>.test.yml` (1m
 * evaluations: a 100% outage pages and the page resolves after recovery, the no-data alert, the
 * min-events guard) and `<id>.long.test.yml` (30m evaluations over days: a 0.5× burn never pages, a
 * burn just over the lowest factor raises its tier, a full outage fires every tier). Every expected
 * alert lists its exact labels and expanded annotations. Write the files beside the rule file(s) and
 * run `promtool test rules *.test.yml`.
 */
export function generateRuleTests(
  slos: readonly SloDefinition[],
  options: RuleTestsOptions,
): Record<string, string> {
  return Object.fromEntries(buildRuleTestSuites(slos, options).map((s) => [s.fileName, suiteToYaml(s)]));
}
