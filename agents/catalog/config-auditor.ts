import { z } from 'zod';
import { readDockerfile, words } from '../analysis/dockerfile.ts';
import { pipeToShellRows } from '../analysis/shell-scripts.ts';
import { auditContainerConfig, auditWorkflow } from '../analysis/workflows.ts';
import { withTreeOf } from '../support/syntax.ts';
import { countBySeverity, finding, listWorkspace, readText, result } from '../support/workspace.ts';
import { agentOutputSchema, type DeterministicAgent, type Finding, type StepContext } from '../types.ts';

const SECRET_NAME = /(PASSWORD|PASSWD|SECRET|TOKEN|API_?KEY|ACCESS_?KEY|PRIVATE_?KEY|CREDENTIALS?)/i;

const isDockerfile = (p: string) => /(^|\/)(Dockerfile(\.[\w.-]+)?|[\w.-]+\.dockerfile)$/.test(p);
const isWorkflow = (p: string) => /^\.github\/workflows\/[^/]+\.ya?ml$/.test(p);
const isCompose = (p: string) => /(^|\/)(docker-)?compose(\.[\w-]+)?\.ya?ml$/.test(p);
const isKubernetes = (p: string, text: string) => /\.ya?ml$/.test(p) && /^apiVersion:/m.test(text) && /^kind:/m.test(text);

/** Shell fed from the network, found on the bash tree of a script; `firstLine` is the file line of the script's first line. */
function pipeToShell(ctx: Pick<StepContext, 'syntax'>, script: string, firstLine: number): number[] {
  if (!ctx.syntax.languages().includes('bash')) return [];
  return withTreeOf(ctx, 'bash', script, (root) => pipeToShellRows(root).map((row) => firstLine + row)) ?? [];
}

export function auditDockerfile(ctx: Pick<StepContext, 'syntax'>, path: string, text: string): Finding[] {
  const out: Finding[] = [];
  const instructions = readDockerfile(text);
  const stages = new Set<string>();
  let lastFrom = 0;
  let user: { name: string; line: number } | undefined;
  for (const ins of instructions) {
    if (ins.keyword === 'FROM') {
      const [image, as, alias] = words(ins.args);
      lastFrom = ins.line;
      user = undefined;
      if (as?.toUpperCase() === 'AS' && alias) stages.add(alias.toLowerCase());
      const bare = image ?? '';
      if (bare === 'scratch' || stages.has(bare.toLowerCase()) || bare.includes('@sha256:') || bare.startsWith('$')) continue;
      const tag = bare.includes(':') && !bare.endsWith(':') ? bare.slice(bare.lastIndexOf(':') + 1) : '';
      if (!tag || tag === 'latest' || tag.includes('/')) {
        out.push(
          finding(
            'docker/unpinned-base-image',
            'medium',
            path,
            ins.line,
            `base image ${bare} has no fixed tag or digest: every build may get a different image`,
          ),
        );
      }
    } else if (ins.keyword === 'USER') {
      user = { name: words(ins.args)[0] ?? '', line: ins.line };
    } else if (ins.keyword === 'RUN') {
      // The RUN text starts on the instruction's line; continuation lines were joined with newlines.
      for (const line of pipeToShell(ctx, ins.args, ins.line)) {
        out.push(
          finding(
            'docker/pipe-to-shell',
            'high',
            path,
            line,
            'a script downloaded at build time is run without a checksum or signature check',
          ),
        );
      }
    } else if (ins.keyword === 'ADD') {
      if (/(^|\s)https?:\/\//.test(ins.args) && !/--checksum=/.test(ins.args)) {
        out.push(
          finding('docker/add-remote-url', 'medium', path, ins.line, 'ADD fetches a URL without --checksum: the content is not verified'),
        );
      }
    } else if (ins.keyword === 'ENV' || ins.keyword === 'ARG') {
      const name = ins.args.split(/[\s=]/)[0];
      const hasValue = /[=\s]\S/.test(ins.args.slice(name.length));
      if (SECRET_NAME.test(name) && (ins.keyword === 'ARG' || hasValue)) {
        out.push(
          finding(
            'docker/secret-in-build',
            'high',
            path,
            ins.line,
            `${name} is set with ${ins.keyword}: its value stays in the image's layers and history; use a build secret mount`,
          ),
        );
      }
    }
  }
  if (lastFrom > 0 && (!user || user.name === 'root' || user.name === '0' || user.name.startsWith('root:') || user.name.startsWith('0:'))) {
    out.push(
      finding('docker/runs-as-root', 'medium', path, user?.line ?? lastFrom, 'the final image runs as root: set a USER without privileges'),
    );
  }
  return out;
}

/**
 * Audits build and deploy configuration: Dockerfiles, GitHub Actions workflows, docker-compose files
 * and Kubernetes manifests — shell fed from the network (on the bash tree), unpinned images and
 * actions, pull_request_target running the PR's code with secrets, script injection through
 * untrusted expressions, privileged containers and the Docker socket.
 */
export const configAuditor: DeterministicAgent = {
  name: 'config-auditor',
  kind: 'deterministic',
  tier: null,
  purpose:
    'Audits Dockerfiles, CI workflows, compose files and Kubernetes manifests for supply-chain and privilege mistakes (curl | sh, unpinned images and actions, pull_request_target checkouts, privileged containers).',
  tools: ['list_files', 'read_file'],
  budget: { maxSteps: 1000, maxTokens: 0 },
  output: agentOutputSchema.extend({ data: z.object({ filesAudited: z.array(z.string()) }) }),
  async run(ctx) {
    const findings: Finding[] = [];
    const filesAudited: string[] = [];
    for (const path of await listWorkspace(ctx)) {
      const yaml = /\.ya?ml$/.test(path);
      if (!isDockerfile(path) && !yaml) continue;
      const text = await readText(ctx, path);
      if (text === undefined) continue;
      if (isDockerfile(path)) {
        findings.push(...auditDockerfile(ctx, path, text));
      } else if (isWorkflow(path)) {
        const { hits, scripts } = auditWorkflow(text);
        for (const h of hits) findings.push(finding(h.rule, h.severity, path, h.line, h.message));
        for (const s of scripts) {
          for (const line of pipeToShell(ctx, s.text, s.firstLine)) {
            findings.push(
              finding('ci/pipe-to-shell', 'high', path, line, 'a script downloaded in CI is run without a checksum or signature check'),
            );
          }
        }
      } else if (isCompose(path) || isKubernetes(path, text)) {
        for (const h of auditContainerConfig(text)) findings.push(finding(h.rule, h.severity, path, h.line, h.message));
      } else {
        continue;
      }
      filesAudited.push(path);
    }
    return result(`${filesAudited.length} configuration files audited: ${countBySeverity(findings)}`, findings, { filesAudited });
  },
};
