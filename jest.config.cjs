/**
 * NestJS 12 is ESM-only, so Jest runs in its ESM mode (node --experimental-vm-modules, see
 * package.json "test") with ts-jest transpiling each file in isolation.
 * `signing-auth` maps to the library's source so tests never need a build first.
 */
module.exports = {
  testEnvironment: 'node',
  preset: 'ts-jest/presets/default-esm',
  extensionsToTreatAsEsm: ['.ts'],
  roots: ['<rootDir>/libs', '<rootDir>/src', '<rootDir>/test'],
  testMatch: ['**/*.spec.ts', '**/*.e2e-spec.ts'],
  moduleNameMapper: {
    '^signing-auth$': '<rootDir>/libs/signing-auth/src/index.ts',
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: '<rootDir>/tsconfig.json' }],
  },
  testTimeout: 60000,
};
