// Lint for the whole monorepo. The import restrictions keep the layers of DESIGN.md one-way:
// a lower layer can never import a higher one or the libraries that only integrations may touch.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const integrationLibs = ['bullmq', 'bullmq-otel', 'graphql', 'graphql-yoga', '@envelop/*', 'usb'];
const layer = (forbidden, message) => ({
  'no-restricted-imports': [
    'error',
    {
      patterns: [
        {
          group: forbidden.filter((p) => !p.startsWith('@autoweave/')),
          message: `${message} (DESIGN.md layers)`,
        },
        {
          group: forbidden.filter((p) => p.startsWith('@autoweave/')),
          message: `${message} (DESIGN.md layers)`,
        },
      ].filter((p) => p.group.length > 0),
    },
  ],
});
const integrations = ['@autoweave/integration-*'];
const above2 = ['@autoweave/sli-slo', '@autoweave/perf-optimizer'];
const signals = ['@autoweave/tracing', '@autoweave/metrics', '@autoweave/logging'];

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', '**/coverage/**', '**/*.js', '**/*.mjs', '**/*.cjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'error',
    },
  },
  {
    files: ['packages/tenant-isolation/src/**'],
    rules: layer(
      [...signals, ...above2, ...integrations, '@autoweave/observability', ...integrationLibs],
      'tenant-isolation is layer 0',
    ),
  },
  {
    files: ['packages/{tracing,metrics,logging}/src/**'],
    rules: layer(
      [...above2, ...integrations, '@autoweave/observability', ...integrationLibs],
      'signal packages are layer 1',
    ),
  },
  {
    files: ['packages/{sli-slo,perf-optimizer}/src/**'],
    rules: layer([...integrations, '@autoweave/observability', ...integrationLibs], 'layer 2 packages'),
  },
  {
    files: ['packages/integrations/*/src/**'],
    rules: layer(['@autoweave/observability'], 'integrations are layer 3'),
  },
  {
    // Tests may do what users do, but still must not reach into private test state with `any`.
    files: ['**/*.test.ts', 'packages/test-utils/src/**'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
    },
  },
  {
    // CLIs, benches and the demo app talk to a terminal.
    files: ['apps/**', 'bench/**', 'examples/**', 'packages/test-utils/src/**'],
    rules: { 'no-console': 'off' },
  },
);
