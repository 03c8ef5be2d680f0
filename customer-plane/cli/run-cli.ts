/**
 * How every customer-plane CLI ends: `main` resolves to the exit code; a configuration error exits 78
 * with its message (it names every problem), anything else exits 1 with its code and message.
 */
export function runCli(name: string, main: (argv: string[]) => Promise<number>): void {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      const e = err as { code?: string; message?: string };
      process.stderr.write(
        `${name}: ${e.code === 'config_invalid' ? e.message : `failed (${e.code ?? 'error'}): ${e.message ?? String(err)}`}\n`,
      );
      process.exit(e.code === 'config_invalid' ? 78 : 1);
    },
  );
}
