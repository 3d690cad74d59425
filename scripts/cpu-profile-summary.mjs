// Where a process's CPU went, from the V8 profiles `node --cpu-prof` writes (npm run bench with
// BENCH_CPU_PROF=<dir>): per profile, self time by package or source area and the hottest functions.
//   node scripts/cpu-profile-summary.mjs <dir> [top]
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

const dir = process.argv[2];
const TOP = Number(process.argv[3] ?? 25);
if (!dir) {
  console.error('usage: node scripts/cpu-profile-summary.mjs <dir> [top]');
  process.exit(2);
}

/** A source area: the npm package, the Mendflow app or lib, node's own modules, or V8 itself. */
function areaOf(url, name) {
  if (!url) return name.startsWith('(') ? name : '(native)';
  const pkg = url.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/);
  if (pkg) return pkg[1];
  const own = url.match(/\/(apps|libs)\/([^/]+)\//);
  if (own) return `${own[1]}/${own[2]}`;
  if (url.startsWith('node:')) return url;
  return path.basename(url);
}

const profiles = readdirSync(dir)
  .filter((file) => file.endsWith('.cpuprofile'))
  .map((file) => ({ file, profile: JSON.parse(readFileSync(path.join(dir, file), 'utf8')) }))
  .map(({ file, profile }) => ({ file, profile, ms: (profile.endTime - profile.startTime) / 1000 }));

for (const { file, profile } of profiles) {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfUs = new Map();
  profile.samples.forEach((id, i) => {
    selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });
  const byArea = new Map();
  const byFunction = new Map();
  let busyUs = 0;
  for (const [id, us] of selfUs) {
    const { callFrame } = byId.get(id);
    if (callFrame.functionName === '(idle)' || callFrame.functionName === '(program)') continue;
    busyUs += us;
    const area = areaOf(callFrame.url, callFrame.functionName);
    byArea.set(area, (byArea.get(area) ?? 0) + us);
    const fn = `${callFrame.functionName || '(anonymous)'} ${areaOf(callFrame.url, '')}:${callFrame.lineNumber + 1}`;
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + us);
  }
  const main = profile.nodes.find((node) => node.callFrame.url.includes('dist/'))?.callFrame.url ?? '';
  console.log(
    `\n== ${file} (${main.replace(/.*\/(apps|libs)\//, '$1/')}) busy ${(busyUs / 1000).toFixed(0)} ms`,
  );
  const list = (map) =>
    [...map.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, TOP)
      .map(([key, us]) => `  ${((100 * us) / busyUs).toFixed(1).padStart(5)}%  ${key}`)
      .join('\n');
  console.log(' by area:\n' + list(byArea));
  console.log(' by function:\n' + list(byFunction));
}
