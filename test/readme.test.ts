// The README cannot rot: its shell blocks marked ```sh runnable are a tour a newcomer pastes, in
// order, into one terminal at the repository root. This test runs exactly those blocks, joined,
// in one bash (set -euo pipefail) in a fresh folder, with `mlx` on PATH as `npm link` puts it.
// Slow e2e: about 20–40 s.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanEnv, ROOT, tempProject } from './helpers/cli.js';

/** The bodies of the README's ```sh runnable blocks, in order. */
export function runnableBlocks(markdown: string): string[] {
  const blocks: string[] = [];
  const fence = /^```sh runnable[ \t]*\n([\s\S]*?)^```[ \t]*$/gm;
  for (let m; (m = fence.exec(markdown));) blocks.push(m[1]);
  return blocks;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

describe('README.md', () => {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const blocks = runnableBlocks(readme);

  it('has a runnable tour through the seed chapters: tracking, registry, serving, rollouts, containerizing, drift, monitoring', () => {
    expect(blocks.length).toBeGreaterThanOrEqual(8);
    const all = blocks.join('\n');
    for (const command of ['mlx run ', 'mlx register ', 'mlx serve ', '--canary', 'mlx containerize ', 'mlx drift ', '--log-inputs', 'serving:customer-value'])
      expect(all).toContain(command);
  });

  it('every runnable block works as shown, in order, in a fresh folder', async () => {
    const dir = tempProject('mlx-readme-');
    dirs.push(dir);
    fs.symlinkSync(path.join(ROOT, 'examples'), path.join(dir, 'examples'));
    const bin = path.join(dir, '.bin');
    fs.mkdirSync(bin);
    fs.symlinkSync(path.join(ROOT, 'bin', 'mlx.js'), path.join(bin, 'mlx'));
    const script = path.join(dir, '.tour.sh');
    fs.writeFileSync(script, `set -euo pipefail\n${blocks.map((b, i) => `echo "### block ${i + 1}"\n${b}`).join('\n')}\necho "### tour done"\n`);
    const env = cleanEnv({ PATH: `${bin}${path.delimiter}${process.env.PATH}`, PORT: String(await freePort()) });
    // Its own process group: servers a block started in the background go when the test ends.
    const child = spawn('bash', [script], { cwd: dir, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    const code = await new Promise<number | null>((resolve) => {
      const timer = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), 150_000);
      child.on('exit', (c) => (clearTimeout(timer), resolve(c)));
    });
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // The group is gone already.
    }
    const last = (out.match(/### block \d+/g) ?? []).at(-1);
    expect(code, `failed in ${last}:\n${out.slice(-2500)}\n${err.slice(-2500)}`).toBe(0);
    expect(out).toContain('### tour done');
    // What the chapters promise is there.
    expect(out).toMatch(/"predictions":\[\[/);
    expect(out).toMatch(/"variants":\[/);
    expect(out).toContain('mlx drift exited with 3 (3: drift detected)');
    for (const f of [
      'mlx-tour/.mlx/mlx.db',
      'mlx-tour/curves.svg',
      'mlx-tour/card.md',
      'mlx-tour/predictions.csv',
      'mlx-tour/container/Dockerfile',
      'mlx-tour/drift.html',
    ])
      expect(fs.existsSync(path.join(dir, f)), f).toBe(true);
  }, 180_000);
});
