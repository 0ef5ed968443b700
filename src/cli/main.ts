/**
 * The `vfsemu` command. Commander parses arguments (subcommands, help and usage errors for free,
 * better than hand-rolled argv handling); each subcommand lives in its own file.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError } from 'commander';
import { runDryRunCommand } from './dry-run.js';
import { registerGoferCommand } from './gofer.js';
import { PARITY_PROFILES, type ParityProfile } from '../host/parity.js';
import { intOption, runParityCommand } from './parity.js';
import { runPlanCommand } from './plan-run.js';

const io = {
  out: (s: string) => void process.stdout.write(s),
  err: (s: string) => void process.stderr.write(s),
};

/** package.json's version: dist/cli/main.js and src/cli/main.ts are two levels below the root. */
function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'package.json'), 'utf8')) as { version: string };
  return pkg.version;
}

export async function main(argv: string[]): Promise<number> {
  let code = 0;
  const program = new Command('vfsemu')
    .description('A user-space Linux VFS emulator: mount plans, checked against the real kernel.')
    .version(packageVersion(), '-V, --version', "print vfsemu's version")
    .exitOverride()
    .configureOutput({ writeOut: io.out, writeErr: io.err });
  program
    .command('dry-run')
    .description('predict the mounts runc (or runsc) makes for an OCI bundle (default: the bundled runc-default example), or what containerd\'s mount.All does with a snapshotter\'s mount list')
    .argument('[bundle]', 'bundle directory, its config.json, or a containerd mount list (JSON)')
    .option('--format <f>', 'tree, mountinfo or json', 'tree')
    .option('--native', 'also apply the plan to this kernel and show the differences (implies --host)', false)
    .option('--host', "read this host's cgroup setup, /proc and mount table (default: assume a cgroup v2 host, every host path on one tmpfs)", false)
    .option('--host-facts <file>', "predict for the host facts of a file: a `dry-run --format json` document's `host`, as recorded on another machine")
    .option('--runtime <r>', 'runc, runsc (gVisor), or runc,runsc to compare them side by side', 'runc')
    .option('--idmapped-mounts', "make the mounts with uidMappings/gidMappings or idmap/ridmap idmapped, as runc 1.2 does (runc 1.1, the model, ignores them)", false)
    .option('--overlay2 <spec>', "runsc's --overlay2: root:self (its default), root:memory, all:memory, all:self, none, …")
    .option('--file-access <mode>', "runsc's --file-access for the root: exclusive (its default) or shared")
    .option('--mount-list', 'read the file as a containerd mount list ([{type, source, target?, options}]; recognised by its shape without this)', false)
    .option('--target <dir>', 'where mount.All mounts a mount list (default: /rootfs)')
    .action((bundle: string | undefined, opts: { format: string; native: boolean; host: boolean; hostFacts?: string; runtime: string; overlay2?: string; fileAccess?: string; mountList: boolean; target?: string; idmappedMounts: boolean }) => {
      code = runDryRunCommand(bundle, opts, io);
    });
  const plan = program.command('plan').description('run mount plans (the format: docs/plan-format.md)');
  plan
    .command('run')
    .argument('<plan>', 'plan JSON file')
    .option('--backend <name>', 'emulated or native', 'emulated')
    .option('--json', 'print the outcome document as JSON', false)
    .option('--allow-9p <address...>', '9P servers a 9p mount in the plan may reach (HOST:PORT or unix:PATH); none by default')
    .action((file: string, opts: { backend: string; json: boolean; allow9p?: string[] }) => {
      code = runPlanCommand(file, opts, io);
    });
  program
    .command('parity')
    .description('compare random plans on the emulator and the host kernel')
    .option('--runs <n>', 'random plans to compare', '1000')
    .option('--seed <s>', 'fast-check seed (default: random, printed)')
    .option('--max-ops <k>', 'random ops a plan holds at most', '25')
    .option('--failures <dir>', 'where a shrunk divergent plan is written', 'parity-failures')
    .option('--profile <name>', `which plans: ${PARITY_PROFILES.join(' or ')}`, 'default')
    .option('--no-progress', 'no progress bar')
    .action(async (opts: { runs: string; seed?: string; maxOps: string; failures: string; progress: boolean; profile: string }) => {
      const runs = intOption('--runs', opts.runs, 1);
      const seed = opts.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : intOption('--seed', opts.seed, 0);
      const maxOps = intOption('--max-ops', opts.maxOps, 1);
      if (!(PARITY_PROFILES as readonly string[]).includes(opts.profile)) {
        io.err(`vfsemu: --profile: expected one of ${PARITY_PROFILES.join(', ')}, got ${JSON.stringify(opts.profile)}\n`);
        code = 2;
        return;
      }
      for (const v of [runs, seed, maxOps]) {
        if (typeof v === 'string') {
          io.err(`vfsemu: ${v}\n`);
          code = 2;
          return;
        }
      }
      code = await runParityCommand(
        { runs: runs as number, seed: seed as number, maxOps: maxOps as number, profile: opts.profile as ParityProfile, failuresDir: opts.failures, progress: opts.progress && process.stderr.isTTY === true },
        io,
      );
    });
  registerGoferCommand(program, io, (c) => (code = c));
  try {
    await program.parseAsync(argv, { from: 'node' });
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    throw e;
  }
  return code;
}

main(process.argv).then(
  (code) => void (process.exitCode = code),
  (e: unknown) => {
    // Only a bug gets here: user mistakes are reported above with their own exit codes.
    process.stderr.write(`vfsemu: internal error (a bug, please report it): ${(e as Error).stack ?? String(e)}\n`);
    process.exitCode = 70;
  },
);
