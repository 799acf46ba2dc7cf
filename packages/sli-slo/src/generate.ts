// Every file generated from a set of SLO definitions, as path → contents, so the CLI writes exactly
// what the committed-files drift test compares against.
import { generateInhibitRules, inhibitRulesToYaml } from './inhibit';
import { toOpenSlo } from './openslo-export';
import { generateRuleTests } from './promtool-tests';
import { GENERATED_HEADER, generatePrometheusRules, rulesToYaml } from './rules';
import type { PrometheusRulesOptions } from './rules';
import type { SloDefinition } from './types';

/**
 * Where the generated files go, relative to the output directory. Rules and their tests are one file
 * per SLO: each suite then loads only its own SLO's rules and expects only its alerts (adding an SLO
 * changes no other file), and promtool runs the suites several times faster.
 */
export const SLO_FILES = Object.freeze({
  /** `rules/<id>.yml`: Prometheus recording and alerting rules; load with `rule_files: [rules/*.yml]`. */
  rulesDir: 'rules',
  /** `tests/<id>.test.yml` and `tests/<id>.long.test.yml`: `promtool test rules` suites. */
  testsDir: 'tests',
  /** Alertmanager `inhibit_rules`: a page silences the ticket of the same SLO. */
  inhibitRules: 'alertmanager-inhibit.yml',
  /** The definitions as OpenSLO v1. */
  openSlo: 'openslo.yml',
});

/** The first line of every generated file; the CLI only ever deletes files that start with it. */
export const GENERATED_FIRST_LINE = `#${GENERATED_HEADER}`;

/** The rule file of one SLO, relative to the output directory: `rules/<id>.yml`. */
export function ruleFileOf(slo: Pick<SloDefinition, 'id'>): string {
  return `${SLO_FILES.rulesDir}/${slo.id}.yml`;
}

/** Options of {@link generateSloFiles}. */
export interface GenerateSloFilesOptions {
  /** Passed to the rule, test and inhibit generators alike (alert names, no-data `for:`, group interval). */
  readonly rules?: PrometheusRulesOptions;
}

/**
 * The files generated from `slos`, keyed by their path relative to the output directory (`/`
 * separated): `rules/<id>.yml` per SLO, its promtool suites `tests/<id>.test.yml` and
 * `tests/<id>.long.test.yml`, `alertmanager-inhibit.yml` and `openslo.yml` ({@link SLO_FILES}).
 * Pure and deterministic — no dates, versions or paths inside — so committed output can be checked
 * for drift. Throws when two SLOs share an id.
 */
export function generateSloFiles(
  slos: readonly SloDefinition[],
  options: GenerateSloFilesOptions = {},
): Record<string, string> {
  const rulesOptions = options.rules ?? {};
  const files: Record<string, string> = {};
  for (const slo of slos) {
    files[ruleFileOf(slo)] = rulesToYaml(generatePrometheusRules([slo], rulesOptions));
  }
  const tests = generateRuleTests(slos, { ...rulesOptions, ruleFile: (slo) => `../${ruleFileOf(slo)}` });
  for (const [name, text] of Object.entries(tests)) files[`${SLO_FILES.testsDir}/${name}`] = text;
  files[SLO_FILES.inhibitRules] = inhibitRulesToYaml(
    generateInhibitRules(
      slos,
      rulesOptions.burnAlertName !== undefined ? { burnAlertName: rulesOptions.burnAlertName } : {},
    ),
  );
  files[SLO_FILES.openSlo] = `${GENERATED_FIRST_LINE}\n${toOpenSlo(slos)}`;
  return files;
}
