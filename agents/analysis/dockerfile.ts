/** A Dockerfile as instructions with their first line; continuation lines joined. No I/O. */
export type Instruction = { keyword: string; args: string; line: number };

export function readDockerfile(text: string): Instruction[] {
  const out: Instruction[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const first = lines[i].trim();
    if (!first || first.startsWith('#')) continue;
    const start = i;
    let body = first;
    while (body.endsWith('\\') && i + 1 < lines.length) {
      body = `${body.slice(0, -1)}\n${lines[++i].trim().startsWith('#') ? '' : lines[i].trim()}`;
    }
    const m = body.match(/^([A-Za-z]+)\s+([\s\S]*)$/);
    if (m) out.push({ keyword: m[1].toUpperCase(), args: m[2].trim(), line: start + 1 });
  }
  return out;
}

/** Words of an instruction's arguments, flags (`--platform=…`) left out. */
export function words(args: string): string[] {
  return args.split(/\s+/).filter((w) => w && !w.startsWith('--'));
}
