// The tenants config as a whole: read from a YAML or JSON file or given in code, then validated with
// every problem collected (plans, default plan, each tenant) before any registry is built from it.
import { readFile, stat } from 'node:fs/promises';
import { extname } from 'node:path';
import { parseDocument } from 'yaml';
import type { TenantLimits } from './policy-types';
import { checkPlans, unknownPlan } from './registry-limits';
import { TenantConfigError, guard, isRecord, kind, unknownFields } from './registry-problems';
import { checkTenant, validationContext } from './registry-tenant';
import type { ResolvedTenant, TenantRegistryConfig } from './registry-types';

/** Largest tenant file read, so a wrong path (a log, a dump) fails fast instead of filling memory. */
const MAX_CONFIG_FILE_BYTES = 10 * 1024 * 1024;

const FILE_FIELDS = ['plans', 'defaultPlan', 'tenants'] as const;
/** Fields of the options given to createTenantRegistry: a config plus what the registry itself needs. */
const OPTION_FIELDS = [...FILE_FIELDS, 'audit', 'now', 'onListenerError'] as const;

/** A validated config: plans with defaults filled in and each tenant resolved. */
export interface CheckedConfig {
  plans: Map<string, TenantLimits>;
  defaultPlan: string | undefined;
  tenants: ResolvedTenant[];
}

/** Validates the options given to createTenantRegistry, which hold the config itself. */
export function checkRegistryOptions(options: unknown): CheckedConfig {
  return checkConfig(options, OPTION_FIELDS, undefined);
}

/** Reads and validates a tenant file; errors name the file. */
export async function readTenantFile(path: string): Promise<CheckedConfig> {
  const value = parseFile(await readText(path), formatOf(path), path);
  return checkConfig(value, FILE_FIELDS, path);
}

/** Reads and validates a tenant file without building a registry (for tools that render from it). */
export async function readTenantRegistryConfig(path: string): Promise<TenantRegistryConfig> {
  return parseTenantRegistryConfig(await readText(path), formatOf(path), path);
}

/**
 * Parses tenant file text (YAML or JSON) into a config object, validating it fully. `source` names
 * the text in errors.
 */
export function parseTenantRegistryConfig(
  text: string,
  format: 'yaml' | 'json',
  source = format === 'json' ? 'tenants.json' : 'tenants.yaml',
): TenantRegistryConfig {
  const value = parseFile(text, format, source);
  checkConfig(value, FILE_FIELDS, source);
  return value as TenantRegistryConfig;
}

async function readText(path: string): Promise<string> {
  try {
    const info = await stat(path);
    if (!info.isFile()) throw new TenantConfigError(['it is not a file'], path);
    if (info.size > MAX_CONFIG_FILE_BYTES) {
      throw new TenantConfigError(
        [`it is ${info.size} bytes; tenant files are limited to ${MAX_CONFIG_FILE_BYTES} bytes`],
        path,
      );
    }
    return await readFile(path, 'utf8');
  } catch (error) {
    if (error instanceof TenantConfigError) throw error;
    throw new TenantConfigError([`cannot read the file (${(error as Error).message})`], path);
  }
}

/** The parsed, not yet validated, content of a tenant file. */
function parseFile(text: string, format: 'yaml' | 'json', source: string): unknown {
  let value: unknown;
  if (format === 'json') {
    try {
      value = JSON.parse(text);
    } catch (error) {
      throw new TenantConfigError([`not valid JSON: ${(error as Error).message}`], source);
    }
  } else {
    const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: true });
    if (doc.errors.length > 0) {
      throw new TenantConfigError(
        doc.errors.map((e) => `not valid YAML: ${(e.message.split('\n')[0] ?? e.code).replace(/:$/, '')}`),
        source,
      );
    }
    try {
      value = doc.toJS({ maxAliasCount: 100 });
    } catch (error) {
      throw new TenantConfigError([`cannot read the YAML: ${(error as Error).message}`], source);
    }
  }
  if (value === null || value === undefined) {
    throw new TenantConfigError(['the file is empty; it needs at least "tenants: [...]"'], source);
  }
  return value;
}

function formatOf(path: string): 'yaml' | 'json' {
  const ext = extname(path).toLowerCase();
  if (ext === '.yaml' || ext === '.yml') return 'yaml';
  if (ext === '.json') return 'json';
  throw new TenantConfigError([
    `${path}: unknown file type ${JSON.stringify(ext)}; name the tenant file *.yaml, *.yml or *.json`,
  ]);
}

/** Validates a whole config, collecting every problem; throws one TenantConfigError if there are any. */
function checkConfig(
  raw: unknown,
  topLevelFields: readonly string[],
  source: string | undefined,
): CheckedConfig {
  const problems: string[] = [];
  const result = guard(problems, 'config', () => {
    if (!isRecord(raw)) {
      problems.push(
        `config: expected an object with "tenants" (and optionally "plans", "defaultPlan"), got ${kind(raw)}`,
      );
      return undefined;
    }
    unknownFields(raw, topLevelFields, '', problems);
    const plans = checkPlans(raw.plans, problems);
    let defaultPlan: string | undefined;
    if (raw.defaultPlan !== undefined) {
      if (typeof raw.defaultPlan !== 'string' || !plans.has(raw.defaultPlan)) {
        problems.push(`defaultPlan: ${unknownPlan(raw.defaultPlan, plans)}`);
      } else {
        defaultPlan = raw.defaultPlan;
      }
    }
    const context = validationContext(plans, defaultPlan);
    const tenants: ResolvedTenant[] = [];
    if (!Array.isArray(raw.tenants)) {
      problems.push(`tenants: expected a list of tenants, got ${kind(raw.tenants)}`);
    } else {
      raw.tenants.forEach((tenant: unknown, i) => {
        const path = `tenants[${i}]`;
        const checked = guard(problems, path, () => checkTenant(tenant, path, context, problems));
        if (checked !== undefined) tenants.push(checked);
      });
    }
    return { plans, defaultPlan, tenants };
  });
  if (problems.length > 0 || result === undefined) throw new TenantConfigError(problems, source);
  return result;
}
