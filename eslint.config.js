// Lint rules that keep the dependency direction of DESIGN.md: core imports nothing of ours,
// sdk and server import core only, cli imports sdk and server.
import tseslint from 'typescript-eslint';

const nodeBuiltins = [
  'fs',
  'node:fs',
  'fs/promises',
  'node:fs/promises',
  'net',
  'node:net',
  'http',
  'node:http',
  'child_process',
  'node:child_process',
];

function restrict(patterns, paths = []) {
  return {
    'no-restricted-imports': [
      'error',
      { patterns, paths: paths.map((name) => ({ name, message: 'core is pure: no I/O' })) },
    ],
  };
}

export default tseslint.config(
  { ignores: ['**/node_modules/**', 'cairn-data/**', '**/dist/**'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
    },
  },
  {
    files: ['packages/core/src/**/*.ts'],
    rules: restrict(
      [
        {
          group: ['@cairn/*', 'cairn', '../../*'],
          message: 'core imports nothing of ours (DESIGN.md)',
        },
      ],
      nodeBuiltins,
    ),
  },
  {
    files: ['packages/sdk/src/**/*.ts'],
    rules: restrict([
      {
        group: ['@cairn/server', '@cairn/server/*', 'cairn', '../../server/*', '../../cli/*'],
        message: 'the SDK never imports the server or the CLI (DESIGN.md)',
      },
    ]),
  },
  {
    files: ['packages/server/src/**/*.ts'],
    rules: restrict([
      {
        group: ['@cairn/sdk', '@cairn/sdk/*', 'cairn', '../../sdk/*', '../../cli/*'],
        message: 'the server imports core only (DESIGN.md)',
      },
    ]),
  },
  {
    // Every command starts by loading the CLI: the server (~2 s to import: Fastify, Kysely,
    // SQLite, the S3 client) and the UI's bundler load with import() inside `cairn server` only.
    files: ['packages/cli/src/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: ['@cairn/server', '@cairn/web'].map((name) => ({
            name,
            allowTypeImports: true,
            message: 'import() it where it is used, so that other commands start fast',
          })),
        },
      ],
    },
  },
  {
    files: ['packages/web/src/**/*.{ts,tsx}'],
    rules: restrict([
      {
        group: [
          '@cairn/server',
          '@cairn/server/*',
          '@cairn/sdk',
          '@cairn/sdk/*',
          'cairn',
          'node:*',
        ],
        message: 'the web UI talks HTTP only (DESIGN.md); wire types come from @cairn/core/wire',
      },
    ]),
  },
);
