import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';

const require = createRequire(import.meta.url);
const semver = require('semver') as {
  minVersion(range: string): { version: string } | null;
  satisfies(version: string, range: string): boolean;
};

interface LockPackage {
  version?: string;
  optional?: boolean;
  engines?: { node?: string };
}

/**
 * `npm install` on a supported Node version prints no EBADENGINE. The README supports
 * `^20.19.0 || ^22.13.0 || >=24.11.0`; every installed package (package-lock.json records each one's
 * `engines`) must accept the lowest version of each of those ranges. file-type 22 (pulled by
 * @nestjs/common 12.5.1) wants Node >= 22: the root package.json overrides it to 21.3.4 (Node >= 20, the
 * same `fileTypeFromBuffer` API that Nest's FileTypeValidator imports).
 */
describe('every locked package runs on every supported Node version', () => {
  const root = JSON.parse(readFileSync(resolve('package.json'), 'utf8')) as { engines: { node: string } };
  const lowest = root.engines.node.split('||').map((range) => semver.minVersion(range.trim())!.version);
  const lock = JSON.parse(readFileSync(resolve('package-lock.json'), 'utf8')) as {
    packages: Record<string, LockPackage>;
  };

  it('reads the supported versions', () => {
    expect(lowest).toEqual(['20.19.0', '22.13.0', '24.11.0']);
  });

  it('no package refuses one of them', () => {
    const refusing = Object.entries(lock.packages)
      .filter(([, pkg]) => !pkg.optional && pkg.engines?.node)
      .flatMap(([path, pkg]) =>
        lowest
          .filter((version) => !semver.satisfies(version, pkg.engines!.node!))
          .map((version) => `${path}@${pkg.version} (engines ${pkg.engines!.node}) refuses Node ${version}`),
      );
    expect(refusing).toEqual([]);
  });
});
