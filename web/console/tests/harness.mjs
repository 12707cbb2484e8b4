// Starts the real bdtx services and the gateway (serving the built console) on loopback
// ports chosen by the kernel, loads the demo province and gives the cast passwords
// through one-time activation codes, as an operator would. Used by the browser test.
import { spawn, execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

function startProcess(bin, args, name) {
  const child = spawn(bin, ['--listen=127.0.0.1:0', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const port = new Promise((resolve, reject) => {
    const onData = (d) => {
      output += d.toString();
      const m = output.match(/"msg":"listening"[^\n]*?"port":"(\d+)"/);
      if (m) resolve(Number(m[1]));
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => reject(new Error(`${name} exited (${code}) before listening:\n${output}`)));
    setTimeout(() => reject(new Error(`${name} did not listen within 60 s:\n${output}`)), 60000).unref();
  });
  return { child, port, name, output: () => output };
}

export const DEADLINES = '2021=2022-02-28T23:59:59+07:00,2023:4=2024-05-31T23:59:59+07:00,2023:5=2099-12-31T23:59:59+07:00';

export async function startSystem({ buildDir, consoleDir, people, password, learners = 600 }) {
  const dir = mkdtempSync(join(tmpdir(), 'bdtx-console-'));
  const key = `--auth_key_file=${join(dir, 'auth.key')}`;
  const svc = (name) => join(buildDir, 'services', name, `bdtx-${name}`);
  const procs = [];
  const start = async (name, args) => {
    const p = startProcess(svc(name), args, name);
    procs.push(p);
    return `127.0.0.1:${await p.port}`;
  };
  const stop = async () => {
    for (const p of procs.reverse()) p.child.kill('SIGTERM');
    await Promise.all(procs.map((p) => new Promise((r) => (p.child.exitCode !== null ? r() : p.child.on('exit', r)))));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    // Cheap Argon2id for the test's sign-ins (production: 64 MiB, 3 passes).
    const directory = await start('directory', [
      `--data_dir=${join(dir, 'directory')}`, key, '--argon2_memory_kib=8192', '--argon2_time_cost=1',
    ]);
    const ctl = join(buildDir, 'services', 'bdtxctl', 'bdtxctl');
    await run(ctl, ['demo', 'load', '--out', join(dir, 'demo'), '--learners', String(learners), '--addr', directory,
      '--key-file', join(dir, 'auth.key')], { maxBuffer: 1 << 26 });
    const d = `--directory=${directory}`;
    const grading = await start('grading', [`--data_dir=${join(dir, 'grading')}`, key, d]);
    // As deploy/run-local.sh: module 4 of the demo year 2023 is past its deadline, so
    // its documents are marked late; module 5 of 2023 has a deadline far ahead.
    const deadlines = `--deadlines=${DEADLINES}`;
    const approvals = await start('approvals', [`--data_dir=${join(dir, 'approvals')}`, key, d, deadlines]);
    const support = await start('support', [`--data_dir=${join(dir, 'support')}`, key, d]);
    const plans = await start('plans', [`--data_dir=${join(dir, 'plans')}`, key, d, `--approvals=${approvals}`,
      `--grading=${grading}`, `--support=${support}`]);
    const notifications = await start('notifications', [`--data_dir=${join(dir, 'notifications')}`, key, d,
      `--approvals=${approvals}`, `--grading=${grading}`, `--support=${support}`, deadlines]);
    const gateway = await start('gateway', [d, `--plans=${plans}`, `--approvals=${approvals}`, `--grading=${grading}`,
      `--notifications=${notifications}`, `--support=${support}`, `--console_dir=${consoleDir}`, '--rate_limit=0']);
    const base = `http://${gateway}`;
    // Each person of the cast gets a password the way people do: an operator's
    // one-time activation code, then POST /v1/accounts:activate.
    for (const person of people) {
      const { stdout } = await run(ctl, ['auth', 'activation-code', '--person', `people/${person}`, '--addr', directory,
        '--key-file', join(dir, 'auth.key')]);
      const code = stdout.match(/"code":\s*"([A-Z0-9-]+)"/)?.[1];
      if (!code) throw new Error(`no activation code for ${person}: ${stdout}`);
      const r = await fetch(`${base}/v1/accounts:activate`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ username: `${person}@binhphuoc.edu.vn`, activationCode: code, newPassword: password }),
      });
      if (!r.ok) throw new Error(`activate ${person}: ${r.status} ${await r.text()}`);
    }
    // bdtxctl against this system, as an operator (or `--as` someone) would run it.
    const ctlRun = async (args) =>
      (await run(ctl, [...args, '--key-file', join(dir, 'auth.key'), '--addr', directory, '--grading', grading]))
        .stdout;
    return { base, dir, stop, procs, ctl: ctlRun, logs: () => procs.map((p) => [p.name, p.output()]) };
  } catch (e) {
    await stop();
    throw e;
  }
}
