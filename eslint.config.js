// Lint: the layering of src/ (which folder may import which; README "Architecture") and the usual
// correctness rules. `npm test` runs it (npm run lint), so CI enforces it; `npm run lint -- --fix`.
import js from '@eslint/js';
import globals from 'globals';
import importX from 'eslint-plugin-import-x';
import tseslint from 'typescript-eslint';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';

const FOLDERS = [
  'core',
  'app',
  'data',
  'pipeline',
  'models',
  'serving',
  'drift',
  'monitor',
  'sweep',
  'deploy',
  'store',
  'artifacts',
  'inference-log',
  'server',
  'cli',
];
const DOMAIN = ['data', 'pipeline', 'models', 'serving', 'drift', 'monitor', 'sweep', 'deploy'];
const BASE = ['store', 'artifacts', 'inference-log'];
const BACKENDS = ['store/sqlite', 'store/rest', 'store/postgres'];

/** What each folder of src/ may import besides itself (data flows one way: cli / server → app → domain → base → core). */
const MAY_IMPORT = {
  core: [],
  'inference-log': ['core'],
  artifacts: ['core', 'store'],
  store: ['core', 'inference-log', 'artifacts'],
  data: ['core', 'store', 'artifacts'],
  pipeline: ['core', 'data', 'store', 'artifacts'],
  models: ['core', 'store', 'artifacts'],
  serving: ['core', 'models', 'inference-log', 'store', 'artifacts'],
  drift: ['core', 'inference-log', 'store'],
  monitor: ['core', 'drift', 'inference-log', 'store'],
  sweep: ['core', 'store'],
  deploy: ['core', 'models', 'serving', 'store'],
  app: ['core', ...DOMAIN, ...BASE],
  server: ['core', 'app', ...DOMAIN, ...BASE],
  cli: ['core', 'app', 'server', ...DOMAIN, ...BASE],
};

/** Zones for import-x/no-restricted-paths: `target` may not import `from` (paths from the repo root). */
const zones = [
  ...FOLDERS.flatMap((folder) => {
    const banned = FOLDERS.filter((f) => f !== folder && !MAY_IMPORT[folder].includes(f));
    return banned.length
      ? [
          {
            target: `./src/${folder}`,
            from: banned.map((b) => `./src/${b}`),
            message: `src/${folder}/ may import only ${MAY_IMPORT[folder].join(', ') || 'nothing outside itself'} (README: Architecture)`,
          },
        ]
      : [];
  }),
  // Only store/ itself imports a backend: everything else asks open-store.ts for a store.
  ...BACKENDS.map((b) => ({
    target: FOLDERS.filter((f) => f !== 'store').map((f) => `./src/${f}`),
    from: `./src/${b}`,
    message: `only store/ imports ${b}/: open a store with store/open-store.ts`,
  })),
];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'bench/out/**', 'ui/vendor/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  // TypeScript resolves names itself; plain JavaScript runs on Node (scripts, benchmarks, examples) or in the browser (the web UI).
  { files: ['**/*.ts'], rules: { 'no-undef': 'off' } },
  { files: ['**/*.{js,mjs}'], languageOptions: { globals: { ...globals.node } } },
  { files: ['ui/**/*.js'], languageOptions: { globals: { ...globals.browser } } },
  // Coefficient tables copied digit for digit from scipy's cephes: the extra digits are the source's.
  { files: ['src/drift/stats/special/**', 'src/drift/stats/kolmogorov.ts'], rules: { 'no-loss-of-precision': 'off' } },
  // Control characters are what these patterns are for (escaping, stripping, refusing them).
  { rules: { 'no-control-regex': 'off' } },
  {
    files: ['**/*.ts'],
    plugins: { 'import-x': importX },
    settings: { 'import-x/resolver-next': [createTypeScriptImportResolver({ project: './tsconfig.json' })] },
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      // `cond && list.push(x)` and `(a.push(x), b.push(y))` are how this code adds optional parts.
      '@typescript-eslint/no-unused-expressions': ['error', { allowShortCircuit: true, allowTernary: true }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
    },
  },
  {
    files: ['src/**/*.ts'],
    ignores: ['src/**/*.test.ts', 'src/**/*.contract.ts'],
    rules: {
      'import-x/no-restricted-paths': ['error', { zones }],
      'no-restricted-imports': ['error', { paths: [{ name: 'commander', message: 'only cli/ imports commander', allowTypeImports: false }] }],
    },
  },
  {
    files: ['src/cli/**/*.ts'],
    rules: { 'no-restricted-imports': 'off' },
  },
);
