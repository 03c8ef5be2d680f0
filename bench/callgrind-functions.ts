/**
 * Instructions per function from callgrind dumps of a Node process, JavaScript included. callgrind
 * sees JIT-compiled code as anonymous addresses; started with `--perf-basic-prof`, Node writes
 * /tmp/perf-<pid>.map (start, size, name of each code object), and each address is named from it.
 * Self cost only (what the function's own instructions cost, not its callees'): a sum over
 * functions is the process's total. Used by llm-proxy-cost.ts `--top`.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

type Range = { start: number; end: number; name: string };

function readPerfMap(path: string): Range[] {
  const ranges: Range[] = [];
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const [start, size, ...name] = line.split(' ');
    if (!name.length) continue;
    const s = parseInt(start, 16);
    ranges.push({ start: s, end: s + parseInt(size, 16), name: name.join(' ') });
  }
  return ranges.sort((a, b) => a.start - b.start);
}

function nameAt(ranges: Range[], addr: number): string | undefined {
  let lo = 0;
  let hi = ranges.length - 1;
  let best = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (ranges[mid].start <= addr) {
      best = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return best >= 0 && addr < ranges[best].end ? ranges[best].name : undefined;
}

/** Shortens a perf-map or callgrind name: tier markers off, the checkout's path made relative. */
function tidy(name: string, root: string): string {
  return name
    .replace(/^JS:[*+~^']*/, '')
    .replace(/^\?\?\?:/, '')
    .replaceAll(`file://${root}/`, '')
    .replaceAll(`${root}/node_modules/`, '')
    .replaceAll(`${root}/`, '')
    .replace(/\s*\[[^\]]*\]$/, '');
}

/** Self instructions per function, summed over `dumps` (one process's), JIT code named via `perfMap`. */
export function functionCosts(dumps: string[], perfMap: string, root: string): Map<string, number> {
  const ranges = readPerfMap(perfMap);
  const costs = new Map<string, number>();
  for (const dump of dumps) {
    const text = execFileSync('callgrind_annotate', ['--inclusive=no', '--threshold=100', dump], { maxBuffer: 1 << 28 }).toString();
    for (const line of text.split('\n')) {
      const m = /^\s*([\d,]+)\s+(?:\([^)]*\)\s+)?(.+)$/.exec(line);
      if (!m || m[2].includes('PROGRAM TOTALS')) continue;
      const unknown = /^\?\?\?:0x([0-9a-f]+)/.exec(m[2]);
      const name = tidy(unknown ? (nameAt(ranges, parseInt(unknown[1], 16)) ?? '(JIT code not in the perf map)') : m[2], root);
      costs.set(name, (costs.get(name) ?? 0) + Number(m[1].replaceAll(',', '')));
    }
  }
  return costs;
}
