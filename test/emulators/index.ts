/**
 * Local provider emulators for tests and benchmarks: real `node:http` servers on 127.0.0.1, random ports.
 * See README.md in this folder for the API and the protocol choices each emulator makes.
 */
export {
  Emulator,
  type BaseStats,
  type EmulatorOptions,
  type FailureSpec,
  type RandomFaults,
} from './emulator.js';
export type { EmulatorReply, EmulatorRequest } from './common.js';
export { pkceS256 } from './common.js';
export * from './docusign.emulator.js';
export * from './formstack-sign.emulator.js';
export * from './signicat.emulator.js';
export * from './docspring.emulator.js';
export * from './oauth2.emulator.js';
