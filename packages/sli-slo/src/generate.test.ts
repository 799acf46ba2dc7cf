import { parseDocument } from 'yaml';
import { DEFAULT_SLOS } from './defaults';
import { defineSlo } from './define';
import { GENERATED_FIRST_LINE, generateSloFiles, ruleFileOf } from './generate';
import { fromOpenSlo } from './openslo-import';
import type { SloDefinition } from './types';
import { CHECKOUT_ERRORS } from './test-fixtures/checkout';

const checkout: SloDefinition = defineSlo({
  ...CHECKOUT_ERRORS,
  groupBy: ['tenant_id'],
});

function yaml(text: string): Record<string, unknown> {
  const doc = parseDocument(text);
  expect(doc.errors).toEqual([]);
  return doc.toJS() as Record<string, unknown>;
}

describe('generateSloFiles', () => {
  it('lays out one rule file and two promtool suites per SLO, plus inhibit rules and OpenSLO', () => {
    const files = generateSloFiles([DEFAULT_SLOS[2]!, checkout]);
    expect(Object.keys(files).sort()).toEqual([
      'alertmanager-inhibit.yml',
      'openslo.yml',
      'rules/availability.yml',
      'rules/checkout-errors.yml',
      'tests/availability.long.test.yml',
      'tests/availability.test.yml',
      'tests/checkout-errors.long.test.yml',
      'tests/checkout-errors.test.yml',
    ]);
    for (const text of Object.values(files)) expect(text.startsWith(`${GENERATED_FIRST_LINE}\n`)).toBe(true);
  });

  it('points each suite at its own SLO rule file, relative to the suite', () => {
    const files = generateSloFiles([DEFAULT_SLOS[2]!, checkout]);
    expect(yaml(files['tests/checkout-errors.test.yml']!)['rule_files']).toEqual([
      `../${ruleFileOf(checkout)}`,
    ]);
    expect(yaml(files['tests/availability.long.test.yml']!)['rule_files']).toEqual([
      '../rules/availability.yml',
    ]);
    const groups = yaml(files['rules/checkout-errors.yml']!)['groups'] as { name: string }[];
    expect(groups.map((g) => g.name)).toEqual(['slo-checkout-errors']);
  });

  it('leaves the files of other SLOs unchanged when an SLO is added', () => {
    const alone = generateSloFiles([DEFAULT_SLOS[2]!]);
    const both = generateSloFiles([DEFAULT_SLOS[2]!, checkout]);
    for (const name of [
      'rules/availability.yml',
      'tests/availability.test.yml',
      'tests/availability.long.test.yml',
    ]) {
      expect(both[name]).toBe(alone[name]);
    }
  });

  it('gives the inhibit rules per SLO, with its groupBy labels, and OpenSLO that reads back', () => {
    const files = generateSloFiles([DEFAULT_SLOS[2]!, checkout]);
    const inhibit = yaml(files['alertmanager-inhibit.yml']!)['inhibit_rules'] as { equal: string[] }[];
    expect(inhibit.map((r) => r.equal)).toEqual([
      ['slo_id', 'slo_service'],
      ['slo_id', 'slo_service', 'tenant_id'],
    ]);
    expect(fromOpenSlo(files['openslo.yml']!).map((s) => s.id)).toEqual(['availability', 'checkout-errors']);
  });

  it('passes the rule options to rules, suites and inhibit rules alike', () => {
    const files = generateSloFiles([checkout], { rules: { burnAlertName: 'CheckoutBudgetBurn' } });
    expect(files['rules/checkout-errors.yml']).toContain('alert: CheckoutBudgetBurn');
    expect(files['tests/checkout-errors.test.yml']).toContain('alertname: CheckoutBudgetBurn');
    expect(files['alertmanager-inhibit.yml']).toContain('alertname="CheckoutBudgetBurn"');
    expect(files['rules/checkout-errors.yml']).not.toContain('SloErrorBudgetBurn');
  });

  it('is deterministic and refuses two SLOs with one id', () => {
    expect(generateSloFiles(DEFAULT_SLOS)).toEqual(generateSloFiles(DEFAULT_SLOS));
    expect(() => generateSloFiles([checkout, checkout])).toThrow(/id "checkout-errors"/);
  });
});
