// The real side of the conformance suite: runs the scenarios (scenarios.mjs) against node:fs in
// directories under ROOT (a tmpfs), and prints their records as JSON on stdout.
//
//   node run-real.mjs ROOT setup   as root: every scenario's directory and setup, then the runs
//                                  of the scenarios without a uid
//   node run-real.mjs ROOT user    (spawned with uid/gid 1000) the runs of the uid 1000 scenarios
import * as fs from 'node:fs';
import { recorder } from './record.mjs';
import { scenarioDir, scenarios } from './scenarios.mjs';

const [root, phase] = process.argv.slice(2);
process.umask(0o022);
const out = {};
for (const s of scenarios) {
  const dir = scenarioDir(root, s);
  if (phase === 'setup') {
    fs.mkdirSync(dir);
    fs.chmodSync(dir, 0o777);
    s.setup(fs, dir);
  }
  if ((phase === 'setup') === (s.uid === undefined)) {
    process.chdir(dir);
    const r = recorder(fs, dir);
    await s.run(fs, r, dir);
    out[s.name] = r.out;
  }
}
process.stdout.write(JSON.stringify(out));
