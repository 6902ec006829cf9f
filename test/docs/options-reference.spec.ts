import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import ts from 'typescript';

const OPTIONS_FILE = resolve('libs/signing-auth/src/signing-auth.options.ts');
const REFERENCE = resolve('docs/reference/options.md');
/** The exported types whose keys a host writes: the options and the synchronous extras. */
const ROOTS = ['SigningAuthModuleOptions', 'SigningAuthModuleExtras'];

/**
 * Every option key of the exported option types, read from the source with the TypeScript compiler API.
 * A member whose type is another interface of the file is followed (`refresh` → `refresh.leaseSeconds`,
 * `hosts` → `hosts.docspringApiUrls`); a member with an inline or foreign type (a map such as
 * `http.allowedHosts`, a per-region object such as `hosts.docspringApiUrls`) is one key.
 */
function optionKeys(): string[] {
  const source = ts.createSourceFile(
    OPTIONS_FILE,
    readFileSync(OPTIONS_FILE, 'utf8'),
    ts.ScriptTarget.ES2022,
    true,
  );
  const interfaces = new Map<string, ts.InterfaceDeclaration>();
  source.forEachChild((node) => {
    if (ts.isInterfaceDeclaration(node)) interfaces.set(node.name.text, node);
  });
  const keys: string[] = [];
  const walk = (declaration: ts.InterfaceDeclaration, prefix: string): void => {
    for (const member of declaration.members) {
      if (!ts.isPropertySignature(member) || !member.name || !ts.isIdentifier(member.name)) continue;
      const key = `${prefix}${member.name.text}`;
      const type = member.type;
      const nested =
        type && ts.isTypeReferenceNode(type) && ts.isIdentifier(type.typeName)
          ? interfaces.get(type.typeName.text)
          : undefined;
      if (nested && nested.members.some((m) => ts.isPropertySignature(m))) walk(nested, `${key}.`);
      else keys.push(key);
    }
  };
  for (const root of ROOTS) {
    const declaration = interfaces.get(root);
    if (!declaration) throw new Error(`${root} is not declared in ${OPTIONS_FILE}`);
    walk(declaration, '');
  }
  return keys;
}

/**
 * The keys the reference documents: the backticked names in the first cell of every table row.
 * `refresh.backoffBaseMs` / `backoffMaxMs` is the table's short form for two keys with the same prefix.
 */
function documentedKeys(markdown: string): Set<string> {
  const keys = new Set<string>();
  for (const line of markdown.split('\n')) {
    const cell = /^\|\s*([^|]+?)\s*\|/.exec(line)?.[1];
    if (!cell || !cell.includes('`')) continue;
    let prefix = '';
    for (const [, name] of cell.matchAll(/`([A-Za-z][\w.]*)`/g)) {
      const dot = name.lastIndexOf('.');
      if (dot >= 0) prefix = name.slice(0, dot + 1);
      keys.add(dot >= 0 ? name : `${prefix}${name}`);
    }
  }
  return keys;
}

/**
 * Decision 028: one source of truth for the module's options. The types in signing-auth.options.ts
 * (with their doc comments) are the source; the reference must name every key of them, and nothing else,
 * so an option added without its row fails here (also one added on another branch, at merge).
 */
describe('docs/reference/options.md documents every module option', () => {
  const keys = optionKeys();
  const documented = documentedKeys(readFileSync(REFERENCE, 'utf8'));

  it('finds the option keys in the source (the walk itself works)', () => {
    expect(keys).toEqual(
      expect.arrayContaining([
        'encryptionKeys',
        'refresh.leaseSeconds',
        'http.allowedHosts',
        'hosts.docspringApiUrls',
        'sweep.cron',
        'routePrefix',
      ]),
    );
    expect(keys.length).toBeGreaterThan(40);
  });

  it('has a row for every key of the exported option types', () => {
    expect(keys.filter((key) => !documented.has(key))).toEqual([]);
  });

  it('documents no key the types do not have (a renamed or removed option)', () => {
    const known = new Set(keys);
    // A parent row (`refresh`, `hosts`) may stand for its keys; anything else must be a real key.
    const parents = new Set(keys.filter((k) => k.includes('.')).map((k) => k.slice(0, k.indexOf('.'))));
    const stale = [...documented].filter((key) => !known.has(key) && !parents.has(key));
    expect(stale).toEqual([]);
  });

  it('the package README links to the reference instead of keeping a second table', () => {
    const readme = readFileSync(resolve('libs/signing-auth/README.md'), 'utf8');
    const section = readme.slice(
      readme.indexOf('## Options'),
      readme.indexOf('\n## ', readme.indexOf('## Options') + 1),
    );
    expect(section).toMatch(/docs\/reference\/options\.md/);
    expect(section).not.toMatch(/^\| option \|/m);
  });
});
