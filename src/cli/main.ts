/**
 * The `vfsemu` command. Commander parses arguments (subcommands, help and usage errors for free,
 * better than hand-rolled argv handling); each subcommand lives in its own file.
 */
import { Command, CommanderError } from 'commander';
import { runPlanCommand } from './plan-run.js';

const io = {
  out: (s: string) => void process.stdout.write(s),
  err: (s: string) => void process.stderr.write(s),
};

export function main(argv: string[]): number {
  let code = 0;
  const program = new Command('vfsemu')
    .description('A user-space Linux VFS emulator: mount plans, checked against the real kernel.')
    .exitOverride()
    .configureOutput({ writeOut: io.out, writeErr: io.err });
  const plan = program.command('plan').description('run mount plans (shared/plan-format.md)');
  plan
    .command('run')
    .argument('<plan>', 'plan JSON file')
    .option('--backend <name>', 'emulated or native', 'emulated')
    .option('--json', 'print the outcome document as JSON', false)
    .action((file: string, opts: { backend: string; json: boolean }) => {
      code = runPlanCommand(file, opts, io);
    });
  try {
    program.parse(argv, { from: 'node' });
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    throw e;
  }
  return code;
}

try {
  process.exitCode = main(process.argv);
} catch (e) {
  // Only a bug gets here: user mistakes are reported above with their own exit codes.
  process.stderr.write(`vfsemu: internal error (a bug, please report it): ${(e as Error).stack ?? String(e)}\n`);
  process.exitCode = 70;
}
