/**
 * Summarises a V8 `.cpuprofile` (from `node --cpu-prof`) by category and by function, self time only:
 * where the CPU of a sweep goes (HTTP client, database driver, ORM, Nest, the library's own folders, GC).
 *
 *   node dist/bench/lib/cpu-profile-summary.js <file.cpuprofile> [top=25]
 */
import { readFile } from 'node:fs/promises';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** The category of a frame, from its script's URL (first match wins). */
const CATEGORIES: [RegExp, string][] = [
  [/signing-auth\/dist\/([^/]+)\//, 'signing-auth/$1'],
  [/node_modules\/(@[^/]+\/[^/]+|[^/]+)\//, '$1'],
  [/^node:(_http|http|https|_tls|tls)/, 'node:http/tls'],
  [/^node:(net|dns|stream|internal\/stream|internal\/streams|internal\/net)/, 'node:net/streams'],
  [/^node:(internal\/)?crypto/, 'node:crypto'],
  [/^node:/, 'node:other'],
];

function category(node: ProfileNode): string {
  const { url, functionName } = node.callFrame;
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  for (const [pattern, name] of CATEGORIES) {
    const match = pattern.exec(url);
    if (match) return match[0].replace(pattern, name);
  }
  return url.includes('/dist/bench/') ? 'bench' : 'other';
}

async function main(): Promise<void> {
  const [file, topArg] = process.argv.slice(2);
  const profile = JSON.parse(await readFile(file, 'utf8')) as Profile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const categories = new Map<string, number>();
  const functions = new Map<string, number>();
  let total = 0;
  for (const [id, us] of selfUs) {
    const node = byId.get(id)!;
    if (node.callFrame.functionName === '(idle)') continue;
    total += us;
    const cat = category(node);
    categories.set(cat, (categories.get(cat) ?? 0) + us);
    const where = node.callFrame.url.replace(/^.*\/(node_modules|dist)\//, '');
    const fn = `${node.callFrame.functionName || '(anonymous)'} ${where}:${node.callFrame.lineNumber + 1}`;
    functions.set(fn, (functions.get(fn) ?? 0) + us);
  }
  const print = (title: string, entries: Map<string, number>, top: number) => {
    console.log(`\n${title} (self time, busy ${(total / 1000).toFixed(0)} ms)`);
    for (const [name, us] of [...entries].sort((a, b) => b[1] - a[1]).slice(0, top)) {
      console.log(
        `${((100 * us) / total).toFixed(1).padStart(5)} %  ${(us / 1000).toFixed(0).padStart(6)} ms  ${name}`,
      );
    }
  };
  print('By category', categories, 30);
  print('By function', functions, Number(topArg ?? 25));
}

await main();
