// Lint, including the import directions of shared/DESIGN.md: an import only ever points inward, toward protocol/.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** Folders of src/ each layer may not import (besides itself). */
const forbidden = {
  protocol: ['broker', 'transport', 'persistence', 'cluster', 'auth', 'inspect', 'config', 'dashboard', 'server', 'cli'],
  broker: ['transport', 'persistence', 'cluster', 'auth', 'inspect', 'config', 'dashboard', 'server', 'cli'],
  transport: ['broker', 'persistence', 'cluster', 'auth', 'inspect', 'config', 'dashboard', 'server', 'cli'],
  persistence: ['transport', 'cluster', 'auth', 'inspect', 'config', 'dashboard', 'server', 'cli'],
  cluster: ['transport', 'persistence', 'auth', 'inspect', 'config', 'dashboard', 'server', 'cli'],
  auth: ['protocol', 'transport', 'persistence', 'cluster', 'inspect', 'config', 'dashboard', 'server', 'cli'],
  inspect: ['broker', 'transport', 'persistence', 'cluster', 'auth', 'config', 'dashboard', 'server', 'cli'],
  config: ['protocol', 'broker', 'transport', 'persistence', 'cluster', 'auth', 'inspect', 'dashboard', 'server', 'cli'],
  dashboard: ['transport', 'persistence', 'cluster', 'auth', 'config', 'server', 'cli'],
  server: ['cli'],
  cli: [],
};

const layerRules = Object.entries(forbidden).map(([layer, banned]) => ({
  files: [`src/${layer}/**/*.ts`],
  rules: {
    'no-restricted-imports': [
      'error',
      {
        patterns: [
          ...banned.map((b) => ({
            group: [`**/${b}/*`, `**/${b}`],
            message: `src/${layer} may not import src/${b} (see shared/DESIGN.md)`,
          })),
          { group: ['**/test/**'], message: 'nothing imports test/' },
        ],
      },
    ],
  },
}));

// broker/ports.ts is the one part of broker/ that persistence, cluster and auth may see (types only).
const portsOnly = ['persistence', 'cluster', 'auth'].map((layer) => ({
  files: [`src/${layer}/**/*.ts`],
  rules: {
    'no-restricted-imports': [
      'error',
      {
        patterns: [
          ...forbidden[layer].map((b) => ({ group: [`**/${b}/*`, `**/${b}`], message: `src/${layer} may not import src/${b}` })),
          { group: ['**/broker/*', '!**/broker/ports.js'], message: `src/${layer} may import only broker/ports.js` },
        ],
      },
    ],
  },
}));

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'web/dist/**', 'test-artifacts/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { ecmaVersion: 2023, sourceType: 'module', globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', setImmediate: 'readonly', URL: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
      'no-constant-condition': ['error', { checkLoops: false }],
    },
  },
  ...layerRules,
  ...portsOnly,
  {
    files: ['test/**/*.ts', 'bench/**/*.ts', 'scripts/**'],
    rules: { '@typescript-eslint/no-explicit-any': 'off', '@typescript-eslint/no-non-null-assertion': 'off' },
  },
);
