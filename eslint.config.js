// Lint: ESLint + typescript-eslint. The folder is the boundary (ARCHITECTURE.md): these rules keep imports honest.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const electronBan = {
  name: 'electron',
  message: 'Only main/ may import electron (ARCHITECTURE.md: boundaries are by folder).',
};

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', Buffer: 'readonly', console: 'readonly', URL: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'warn',
      'no-control-regex': 'off', // the content boundary matches control characters on purpose
      'no-misleading-character-class': 'off', // ditto: bidi and zero-width classes
      'no-empty': ['error', { allowEmptyCatch: false }],
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
    },
  },
  {
    files: ['bridge/**', 'sandbox/**'],
    rules: { 'no-restricted-imports': ['error', { paths: [electronBan] }] },
  },
  {
    // bridge/protocol loads in a browser (the renderer shares it): no Node, no Buffer, no MCP server, no gramjs.
    // bridge/protocol/node/ holds the Node-only contract pieces (the MCP tool server) the relay also imports.
    files: ['bridge/protocol/**'],
    ignores: ['bridge/protocol/node/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [electronBan, { name: 'telegram', message: 'bridge/protocol never knows about gramjs.' }],
          patterns: [
            {
              group: ['node:*', 'fs', 'net', 'crypto', 'os', 'path', 'ws', 'telegram/*', '@modelcontextprotocol/*'],
              message: 'bridge/protocol must load in a browser; Node-only parts go to bridge/protocol/node/.',
            },
            { regex: '(^|/)node/', message: 'bridge/protocol must not import its Node-only folder.' },
          ],
        },
      ],
      'no-restricted-globals': [
        'error',
        { name: 'Buffer', message: 'bridge/protocol must load in a browser: use Uint8Array/TextEncoder.' },
        { name: 'process', message: 'bridge/protocol must load in a browser.' },
      ],
    },
  },
  {
    files: ['relay/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [electronBan],
          patterns: [
            {
              regex: '(^|/)bridge/(?!protocol/)',
              message: 'relay/ may import only bridge/protocol from bridge (ARCHITECTURE.md).',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['renderer/**'],
    ignores: ['renderer/vite.config.ts'], // build tooling runs in Node; the bundle it builds does not
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [electronBan, { name: 'telegram', message: 'The renderer never knows about gramjs.' }],
          patterns: [
            { group: ['node:*', 'fs', 'net', 'child_process', 'os', 'path'], message: 'No Node in the renderer.' },
            { group: ['telegram/*'], message: 'The renderer never knows about gramjs.' },
          ],
        },
      ],
    },
  },
);
