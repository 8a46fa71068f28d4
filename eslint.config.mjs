// Lint: typescript-eslint with type information, a chosen subset rather than a whole preset. Each rule
// here catches a mistake this code base can make and the compiler lets through; style is left to
// review. Run with `npm run lint`.
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'src/api/**/*.generated.ts', 'test-results/**'] },
  {
    files: ['src/**/*.ts', 'test/**/*.ts', 'bench/**/*.ts', 'console/src/**/*.{ts,tsx}'],
    languageOptions: {
      parser: tseslint.parser,
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { '@typescript-eslint': tseslint.plugin },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // A promise nobody awaits loses its error: the engine's loops, the store's transactions and the
      // server's hooks all rely on every failure reaching a handler.
      // node:test's describe and test return promises the runner itself awaits.
      '@typescript-eslint/no-floating-promises': [
        'error',
        { allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['describe', 'test', 'it', 'suite', 'before', 'after', 'beforeEach', 'afterEach'] }] },
      ],
      // An async function where a callback's result is ignored (an event handler, a forEach) drops its error the same way.
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false, attributes: false } }],
      '@typescript-eslint/await-thenable': 'error',
      // Only Error objects are thrown, so every catch can read a message and the server can tell a ServiceError.
      '@typescript-eslint/only-throw-error': 'error',
      // Passing on an abort reason (typed any) or a caught value (unknown) keeps what it was, so those are allowed.
      '@typescript-eslint/prefer-promise-reject-errors': ['error', { allowThrowingAny: true, allowThrowingUnknown: true }],
      // A switch over a model enum or a union must handle every member, or say so with a default.
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
      // Dead names: an unused import or variable is usually a refactoring left half done. A name
      // destructured beside a rest element is how a member is left out of a copy, so it is allowed.
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true },
      ],
      // `==` against a model value lets '' and 0 through where undefined was meant.
      eqeqeq: ['error', 'always', { null: 'ignore' }],
    },
  },
);
