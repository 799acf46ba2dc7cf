// Validation of `plugin.json`: every broken field is reported at once, each as `path: what to change`,
// so a plugin author fixes a manifest in one round instead of one error per load.
import { PluginManifestError } from './errors';
import type {
  ManifestProblem,
  ManifestRules,
  PluginIsolation,
  PluginManifest,
  PluginPermission,
} from './types';

/** The manifest's file name inside each plugin directory. */
export const MANIFEST_FILE = 'plugin.json';

/** Every permission a manifest may name (the loader's `allowedPermissions` picks among them). */
export const PLUGIN_PERMISSIONS: readonly PluginPermission[] = Object.freeze([
  'network',
  'filesystem',
  'env',
  'child-process',
]);

/** A plugin name: also a bounded, safe metric label value and a directory name. */
export const PLUGIN_NAME_PATTERN = /^[a-z0-9][a-z0-9-]{0,62}$/;

// Semantic Versioning 2.0.0, the regular expression semver.org suggests.
const SEMVER =
  /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$/;

const FIELDS = ['name', 'version', 'entry', 'permissions', 'timeoutMs', 'isolation', 'description'];
const LIKELY: Readonly<Record<string, string>> = {
  timeout: 'timeoutMs',
  main: 'entry',
  module: 'entry',
  permission: 'permissions',
};
const ISOLATIONS: readonly PluginIsolation[] = ['in-process', 'worker'];
const MAX_TIMEOUT_MS = 2_147_483_647; // setTimeout's limit
const DEFAULTS = { defaultTimeoutMs: 5000, maxTimeoutMs: 60_000 };

const show = (value: unknown): string => {
  try {
    const text = JSON.stringify(value);
    return text === undefined ? String(value) : text.length > 60 ? `${text.slice(0, 57)}...` : text;
  } catch {
    return String(value);
  }
};

function checkName(value: unknown, rules: ManifestRules, problems: ManifestProblem[]): void {
  if (typeof value !== 'string' || !PLUGIN_NAME_PATTERN.test(value)) {
    problems.push({
      path: 'name',
      message: `${show(value)} is not a plugin name; use 1-63 lowercase letters, digits and dashes, starting with a letter or digit`,
    });
  } else if (rules.directoryName !== undefined && value !== rules.directoryName) {
    problems.push({
      path: 'name',
      message: `"${value}" must equal the plugin's directory name "${rules.directoryName}"; rename one of them`,
    });
  }
}

function checkEntry(value: unknown, problems: ManifestProblem[]): void {
  if (typeof value !== 'string' || value.length === 0 || value.length > 255) {
    problems.push({
      path: 'entry',
      message: `${show(value)} must be a relative path to the plugin's ES module, e.g. "index.mjs"`,
    });
    return;
  }
  if (!/\.m?js$/.test(value)) {
    problems.push({ path: 'entry', message: `"${value}" must end in .mjs or .js (an ES module)` });
  }
  if (value.startsWith('/') || value.startsWith('\\') || /^[a-zA-Z]:/.test(value) || value.includes('\0')) {
    problems.push({
      path: 'entry',
      message: `"${value}" must be relative to the plugin's directory, not absolute`,
    });
  } else if (value.split(/[\\/]/).includes('..')) {
    problems.push({
      path: 'entry',
      message: `"${value}" must stay inside the plugin's directory; remove the ".." segments`,
    });
  }
}

function checkPermissions(
  value: unknown,
  allowed: readonly PluginPermission[],
  problems: ManifestProblem[],
): PluginPermission[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) {
    problems.push({
      path: 'permissions',
      message: `${show(value)} must be an array of permission names (${PLUGIN_PERMISSIONS.join(', ')}), or left out`,
    });
    return [];
  }
  const seen = new Set<string>();
  (value as unknown[]).forEach((p, i) => {
    const path = `permissions[${i}]`;
    if (typeof p !== 'string' || !(PLUGIN_PERMISSIONS as readonly string[]).includes(p)) {
      problems.push({
        path,
        message: `${show(p)} is not a known permission; use one of ${PLUGIN_PERMISSIONS.join(', ')}`,
      });
    } else if (seen.has(p)) {
      problems.push({ path, message: `"${p}" is listed twice; remove the duplicate` });
    } else if (!allowed.includes(p as PluginPermission)) {
      problems.push({
        path,
        message: `"${p}" is not granted by this loader (allowedPermissions: ${allowed.length === 0 ? 'none' : allowed.join(', ')}); remove it, or have the operator add it to allowedPermissions`,
      });
    }
    if (typeof p === 'string') seen.add(p);
  });
  return value as PluginPermission[];
}

function checkTimeout(value: unknown, max: number, problems: ManifestProblem[]): void {
  if (value === undefined) return;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    problems.push({
      path: 'timeoutMs',
      message: `${show(value)} must be a whole number of milliseconds ≥ 1, or left out for the loader's default`,
    });
  } else if (value > max) {
    problems.push({
      path: 'timeoutMs',
      message: `${value} is above this loader's maxTimeoutMs (${max}); lower it`,
    });
  }
}

/**
 * Checks a parsed `plugin.json` against `rules` and returns it with defaults applied; throws a
 * {@link PluginManifestError} listing every problem. `plugin` names it in the message (default: the
 * directory name, else the manifest's name).
 */
export function validatePluginManifest(
  value: unknown,
  rules: ManifestRules = {},
  plugin?: string,
): PluginManifest {
  const claimed = (value as { name?: unknown } | null)?.name;
  const label = plugin ?? rules.directoryName ?? (typeof claimed === 'string' ? claimed.slice(0, 80) : '?');
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new PluginManifestError(label, [
      {
        path: MANIFEST_FILE,
        message: `must hold a JSON object with name, version and entry, got ${show(value)}`,
      },
    ]);
  }
  const m = value as Record<string, unknown>;
  const problems: ManifestProblem[] = [];
  checkName(m.name, rules, problems);
  if (typeof m.version !== 'string' || m.version.length > 64 || !SEMVER.test(m.version)) {
    problems.push({
      path: 'version',
      message: `${show(m.version)} must be a semantic version such as "1.0.0" or "2.1.0-beta.1"`,
    });
  }
  checkEntry(m.entry, problems);
  const permissions = checkPermissions(m.permissions, rules.allowedPermissions ?? [], problems);
  const maxTimeoutMs = rules.maxTimeoutMs ?? DEFAULTS.maxTimeoutMs;
  checkTimeout(m.timeoutMs, Math.min(maxTimeoutMs, MAX_TIMEOUT_MS), problems);
  if (m.isolation !== undefined && !ISOLATIONS.includes(m.isolation as PluginIsolation)) {
    problems.push({
      path: 'isolation',
      message: `${show(m.isolation)} must be "in-process" or "worker", or left out`,
    });
  }
  if (m.description !== undefined && (typeof m.description !== 'string' || m.description.length > 500)) {
    problems.push({
      path: 'description',
      message: 'must be a string of at most 500 characters, or left out',
    });
  }
  for (const key of Object.keys(m)) {
    if (FIELDS.includes(key)) continue;
    const likely = LIKELY[key];
    problems.push({
      path: key,
      message: `unknown field; ${likely !== undefined ? `did you mean "${likely}"? ` : ''}the fields are ${FIELDS.join(', ')}`,
    });
  }
  if (problems.length > 0) throw new PluginManifestError(label, problems);

  const isolation: PluginIsolation =
    m.isolation === 'worker' || rules.isolation === 'worker' ? 'worker' : 'in-process';
  return Object.freeze({
    name: m.name as string,
    version: m.version as string,
    entry: m.entry as string,
    permissions: Object.freeze([...permissions]),
    timeoutMs: (m.timeoutMs as number | undefined) ?? rules.defaultTimeoutMs ?? DEFAULTS.defaultTimeoutMs,
    isolation,
    ...(typeof m.description === 'string' ? { description: m.description } : {}),
  });
}
