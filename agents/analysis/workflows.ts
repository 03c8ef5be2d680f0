import { isMap, isScalar, isSeq, LineCounter, type Node, parseAllDocuments, type Scalar, visit, type YAMLMap } from 'yaml';

/** GitHub Actions workflows and container configs (compose, Kubernetes) read as YAML with line numbers. No I/O. */

export type ConfigHit = { rule: string; severity: 'critical' | 'high' | 'medium' | 'low'; line: number; message: string };
/** A step's `run:` script and the file line its first script line is on. */
export type StepScript = { text: string; firstLine: number };

function get(map: unknown, key: string): Node | undefined {
  if (!isMap(map)) return undefined;
  const pair = (map as YAMLMap).items.find((p) => isScalar(p.key) && p.key.value === key);
  return (pair?.value ?? undefined) as Node | undefined;
}
const str = (n: Node | undefined) => (isScalar(n) ? String((n as Scalar).value ?? '') : '');

/** Contexts an outsider controls (issue titles, PR branch names, commit messages…): never safe to paste into a script. */
const UNTRUSTED_EXPR =
  /\$\{\{[^}]*\bgithub\.(head_ref|event\.(issue|pull_request|comment|review|review_comment|discussion|pages|commits|head_commit|workflow_run)\b[\w.*[\]]*\.(title|body|ref|label|message|name|email|head_branch|page_name|default_branch))\b[^}]*\}\}/;
const PR_HEAD_EXPR = /github\.(head_ref|event\.pull_request\.head\.(sha|ref))/;
const SHA_PINNED = /@[0-9a-f]{40}$/;

function triggers(doc: Node | null): string[] {
  const on = get(doc, 'on');
  if (isScalar(on)) return [str(on)];
  if (isSeq(on)) return on.items.map((i) => str(i as Node));
  if (isMap(on)) return on.items.map((p) => (isScalar(p.key) ? String(p.key.value) : ''));
  return [];
}

export function auditWorkflow(text: string): { hits: ConfigHit[]; scripts: StepScript[] } {
  const lc = new LineCounter();
  const hits: ConfigHit[] = [];
  const scripts: StepScript[] = [];
  const lineOf = (n: Node | undefined | null) => (n?.range ? lc.linePos(n.range[0]).line : 0);
  for (const doc of parseAllDocuments(text, { lineCounter: lc })) {
    if (!('contents' in doc) || doc.errors.length > 0) continue;
    const root = doc.contents;
    const prTarget = triggers(root).includes('pull_request_target');
    const checkPermissions = (owner: unknown) => {
      const p = get(owner, 'permissions');
      if (str(p) === 'write-all')
        hits.push({
          rule: 'ci/write-all-permissions',
          severity: 'medium',
          line: lineOf(p),
          message: 'the workflow token gets write access to everything; grant only the scopes the job needs',
        });
    };
    checkPermissions(root);
    const jobs = get(root, 'jobs');
    if (!isMap(jobs)) continue;
    for (const jobPair of jobs.items) {
      const job = jobPair.value;
      checkPermissions(job);
      const uses = [get(job, 'uses')];
      const steps = get(job, 'steps');
      for (const step of isSeq(steps) ? steps.items : []) {
        uses.push(get(step, 'uses'));
        const action = str(get(step, 'uses'));
        const ref = get(get(step, 'with'), 'ref');
        if (prTarget && action.startsWith('actions/checkout@') && PR_HEAD_EXPR.test(str(ref))) {
          hits.push({
            rule: 'ci/pr-target-checkout',
            severity: 'critical',
            line: lineOf(ref),
            message:
              "pull_request_target runs with the base repository's secrets and write token, and this step checks out the pull request's code, which then runs with them",
          });
        }
        const run = get(step, 'run');
        if (isScalar(run)) {
          const scalar = run as Scalar;
          const block = scalar.type === 'BLOCK_LITERAL' || scalar.type === 'BLOCK_FOLDED';
          const firstLine = lineOf(run) + (block ? 1 : 0);
          const script = str(run);
          for (const [i, line] of script.split('\n').entries()) {
            if (UNTRUSTED_EXPR.test(line)) {
              hits.push({
                rule: 'ci/script-injection',
                severity: 'high',
                line: firstLine + i,
                message: 'an expression an outsider controls is pasted into a shell script; pass it through env: and quote the variable',
              });
            }
          }
          scripts.push({ text: script, firstLine });
        }
      }
      for (const u of uses) {
        const ref = str(u);
        if (!ref || ref.startsWith('./') || ref.startsWith('docker://')) continue;
        if (!SHA_PINNED.test(ref)) {
          hits.push({
            rule: 'ci/unpinned-action',
            severity: 'medium',
            line: lineOf(u),
            message: `${ref.split('@')[0]} is referenced by a movable tag or branch; pin it to a full commit SHA`,
          });
        }
      }
    }
  }
  return { hits, scripts };
}

/** docker-compose and Kubernetes settings that hand a container the host. */
export function auditContainerConfig(text: string): ConfigHit[] {
  const lc = new LineCounter();
  const hits: ConfigHit[] = [];
  for (const doc of parseAllDocuments(text, { lineCounter: lc })) {
    if (!('contents' in doc) || doc.errors.length > 0) continue;
    visit(doc, {
      Pair(_, pair) {
        if (!isScalar(pair.key)) return;
        const key = String(pair.key.value);
        const value = pair.value as Node | null;
        const line = value?.range ? lc.linePos(value.range[0]).line : 0;
        const v = str(value ?? undefined);
        if (key === 'privileged' && v === 'true') {
          hits.push({
            rule: 'container/privileged',
            severity: 'high',
            line,
            message: "a privileged container has every capability and the host's devices: escaping it is trivial",
          });
        } else if ((key === 'network_mode' && v === 'host') || (key === 'hostNetwork' && v === 'true')) {
          hits.push({
            rule: 'container/host-network',
            severity: 'medium',
            line,
            message: "the container shares the host's network namespace",
          });
        } else if (key === 'cap_add' || key === 'add') {
          for (const item of isSeq(value) ? value.items : []) {
            const cap = str(item as Node).toUpperCase();
            if (cap === 'ALL' || cap === 'SYS_ADMIN')
              hits.push({
                rule: 'container/dangerous-capability',
                severity: 'high',
                line: lc.linePos((item as Node).range![0]).line,
                message: `the container is given ${cap}, which is enough to escape it`,
              });
          }
        } else if (isScalar(value) && v.includes('/var/run/docker.sock')) {
          hits.push({
            rule: 'container/docker-socket',
            severity: 'high',
            line,
            message: 'the Docker socket is mounted: whoever controls the container controls the host',
          });
        } else if (isSeq(value)) {
          for (const item of value.items) {
            if (isScalar(item) && str(item as Node).includes('/var/run/docker.sock')) {
              hits.push({
                rule: 'container/docker-socket',
                severity: 'high',
                line: lc.linePos((item as Node).range![0]).line,
                message: 'the Docker socket is mounted: whoever controls the container controls the host',
              });
            }
          }
        }
      },
    });
  }
  return hits;
}
