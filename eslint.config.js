// Runtime boundaries (docs/ARCHITECTURE.md): each folder may import only what its runtime has.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import reactHooks from 'eslint-plugin-react-hooks';
import globals from 'globals';

const nodeBuiltins = ['node:*', 'fs', 'path', 'os', 'child_process', 'net', 'http', 'https', 'crypto', 'worker_threads', 'events', 'stream', 'util', 'url', 'dgram', 'dns', 'tls', 'zlib', 'readline', 'process', 'buffer', 'module', 'assert', 'timers'];
const restrict = (groups, message) => ({ group: groups, message });

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', 'native/build/**', 'guest/out/**', 'test-results/**', 'bench/results/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': 'off',
    },
  },
  {
    files: ['contract/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [
        { regex: '^(?!zod(/|$)|\\./[^/]+$)', message: 'contract/ imports nothing but zod and itself: it is shared by Node, Electron and the browser.' },
      ] }],
    },
  },
  {
    files: ['agent/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [
        restrict(['electron', 'electron/*', 'react', 'react-dom', 'react-dom/*', 'zustand', '**/renderer/**', '**/electron/**'], 'agent/ is headless: no Electron, DOM or renderer code.'),
      ] }],
      'no-console': 'error',
    },
  },
  {
    files: ['agent/src/core/**/*.ts', 'agent/src/sim/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [
        restrict([...nodeBuiltins, 'electron', 'react', 'libp2p', '@libp2p/*', '**/net/libp2p*', '**/api/**', '**/qos/**', '**/vm/**'], 'core/ and sim/ are sans-IO: clock, timers and transport are injected.'),
      ] }],
      'no-restricted-globals': ['error', { name: 'setTimeout', message: 'inject a timer' }, { name: 'setInterval', message: 'inject a timer' }, { name: 'performance', message: 'inject a clock' }],
      'no-restricted-properties': ['error', { object: 'Date', property: 'now', message: 'inject a clock' }, { object: 'Math', property: 'random', message: 'inject a seeded random' }],
      'no-console': 'error',
    },
  },
  {
    files: ['renderer/**/*.ts', 'renderer/**/*.tsx'],
    ignores: ['renderer/vite.config.ts'],
    languageOptions: { globals: { ...globals.browser } },
    plugins: { 'react-hooks': reactHooks },
    rules: {
      ...reactHooks.configs.recommended.rules,
      'no-restricted-imports': ['error', { patterns: [
        restrict([...nodeBuiltins, 'electron', 'electron/*', '**/agent/**', '**/electron/**', '**/native/**'], 'renderer/ runs in a sandboxed page: talk to the agent through renderer/src/api only.'),
      ] }],
    },
  },
  {
    files: ['electron/preload/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [
        restrict([...nodeBuiltins, '**/agent/**', '**/renderer/**', '**/native/**'], 'the sandboxed preload may use only electron and contract/.'),
      ] }],
    },
  },
  {
    files: ['electron/main/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [
        restrict(['**/renderer/**', 'react', 'react-dom', 'zustand', '**/agent/src/core/**'], 'main stays thin: no grid logic, no renderer code; it hosts the agent as a process.'),
      ] }],
    },
  },
);
