// `npm run synth`: writes the customer-plane stack as plain Terraform JSON into terraform/dist/.
import { writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DIST_FILE, synthesize } from './src/synth.ts';

const distDir = join(dirname(fileURLToPath(import.meta.url)), 'dist');
mkdirSync(distDir, { recursive: true });
const target = join(distDir, DIST_FILE);
writeFileSync(target, synthesize());
console.log(`wrote ${target}`);
