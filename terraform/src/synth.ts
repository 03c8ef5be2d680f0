import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'cdktf';
import { AWS_PROVIDER_CONSTRAINT, CustomerPlaneStack, STACK_NAME, TERRAFORM_VERSION_CONSTRAINT } from './stack.ts';

/** The file customers run `terraform` against. */
export const DIST_FILE = 'main.tf.json';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

// Keys cdktf writes for its own bookkeeping ("//" blocks with construct paths and its version). They do
// nothing in Terraform and would make the output depend on cdktf internals.
function normalize(value: Json): Json {
  if (Array.isArray(value)) return value.map(normalize);
  if (value !== null && typeof value === 'object') {
    const out: { [k: string]: Json } = {};
    for (const key of Object.keys(value).sort()) {
      if (key === '//') continue;
      out[key] = normalize(value[key]);
    }
    return out;
  }
  return value;
}

/**
 * Synthesizes the stack in-process (no terraform binary, no network) and returns the normalized JSON.
 * The result depends only on this repository's code, so a fresh run must equal the committed file.
 */
export function synthesize(): string {
  const outdir = mkdtempSync(join(tmpdir(), 'agentplane-synth-'));
  try {
    const app = new App({ outdir, skipValidation: false, stackTraces: false });
    new CustomerPlaneStack(app, STACK_NAME);
    app.synth();
    const raw = JSON.parse(readFileSync(join(outdir, 'stacks', STACK_NAME, 'cdk.tf.json'), 'utf8')) as {
      [k: string]: Json;
    };
    const terraform = raw.terraform as { [k: string]: Json };
    // cdktf adds a local backend with an absolute path of the synthesizing machine. The customer picks
    // their own backend (see README), so none is baked in.
    delete terraform.backend;
    terraform.required_version = TERRAFORM_VERSION_CONSTRAINT;
    terraform.required_providers = {
      aws: { source: 'hashicorp/aws', version: AWS_PROVIDER_CONSTRAINT },
    };
    return `${JSON.stringify(normalize(raw), null, 2)}\n`;
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}
