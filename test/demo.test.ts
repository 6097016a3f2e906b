// `npm run demo` end to end (slow e2e, about 15–30 s): the whole lifecycle into a folder of its own,
// every step printed with its mlx command, and no server left running afterwards.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cleanEnv, mlxJson, ROOT, tempProject } from './helpers/cli.js';

describe('npm run demo (examples/demo.mjs)', () => {
  it('tracks, registers, serves, containerizes and finds drift in ./mlx-demo, then stops its servers', async () => {
    const cwd = tempProject('mlx-demo-');
    const work = path.join(cwd, 'mlx-demo');
    // A stale file from an earlier demo is cleared: the demo starts afresh.
    fs.mkdirSync(work);
    fs.writeFileSync(path.join(work, 'stale.txt'), 'old');
    const r = spawnSync(process.execPath, [path.join(ROOT, 'examples/demo.mjs')], { cwd, env: cleanEnv({}), encoding: 'utf8', timeout: 170_000 });
    expect(r.status, `${r.stdout.slice(-3000)}\n${r.stderr}`).toBe(0);
    expect(fs.existsSync(path.join(work, 'stale.txt'))).toBe(false);
    // Nothing outside its folder.
    expect(fs.readdirSync(cwd)).toEqual(['mlx-demo']);

    // Each part is a heading, each step the command it ran.
    for (const heading of ['Part 1 of 4', 'Part 2 of 4', 'Part 3 of 4', 'Part 4 of 4', '=== Done']) expect(r.stdout).toContain(heading);
    for (const command of [
      '$ mlx repro --experiment image-classifier',
      '$ mlx repro --dry-run',
      '$ mlx compare',
      '$ mlx register runs:/',
      '$ curl -X POST',
      '$ mlx drift',
      '$ mlx containerize models:/pets-classifier@champion',
      '$ mlx serve models:/customer-value@champion --log-inputs',
    ])
      expect(r.stdout).toContain(command);
    expect(r.stdout).toMatch(/"label":"dog"/);
    expect(r.stdout).toContain('exit code 3: drift detected in the served traffic');
    expect(r.stdout).toMatch(/What next[\s\S]*mlx ui[\s\S]*drift_report\.html/);

    // The embedded default store in the demo's folder holds what the steps made.
    const env = { MLX_TRACKING_URI: path.join(work, '.mlx') };
    // The pipeline ran twice with work to do (once all, then one stage after the param change) and once with none.
    expect(r.stderr).toContain('mlx: nothing to do: all 3 stages are up to date');
    const images = mlxJson(cwd, ['runs', 'list', '--experiment', 'image-classifier', '--filter', "attributes.run_name LIKE 'train@%'"], { env }).runs;
    expect(images).toHaveLength(3);
    expect(new Set(images.map((x: { params: { learning_rate: string } }) => x.params.learning_rate)).size).toBe(3);
    const models = mlxJson(cwd, ['models', 'list'], { env }).registered_models.map((m: { name: string; aliases: Record<string, number> }) => [
      m.name,
      m.aliases,
    ]);
    expect(models).toEqual([
      ['customer-value', { champion: 1 }],
      ['pets-classifier', { champion: 1 }],
    ]);
    for (const file of [
      'container/Dockerfile',
      'container/docker-compose.yml',
      'container/k8s/deployment.yaml',
      'tabular-drift/drift_report.html',
      'live_drift.html',
      'image-classifier/compare.svg',
    ])
      expect(fs.existsSync(path.join(work, file)), file).toBe(true);

    // The servers it started are gone.
    for (const url of new Set(r.stdout.match(/http:\/\/(?:127\.0\.0\.1|localhost):\d+/g) ?? [])) {
      const answered = await fetch(`${url}/health`).then(
        () => true,
        () => false,
      );
      expect(answered, url).toBe(false);
    }
  }, 180_000);
});
