// `mlx containerize --gpu` end to end: an image that runs on the GPU (NVIDIA's CUDA runtime base,
// Node copied in, onnxruntime's CUDA provider installed at build time, mlx serve --device cuda),
// the GPU reservation in compose and nvidia.com/gpu in Kubernetes, the same health checks; the CPU
// image unchanged. No image is built here (no GPU, no Docker daemon): the files are linted and
// validated as the CPU image's are.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { validate as lintDockerfile } from 'dockerfile-utils';
import { mlx, mlxJson, tempProject } from './helpers/cli.js';
import { T, register, sampleModels, writeFile } from './helpers/models.js';

let dir: string;
beforeAll(() => {
  dir = tempProject('mlx-containerize-gpu-');
  writeFile(dir, 'image.onnx', sampleModels().image);
  register(dir, ['image.onnx', '--name', 'pets', '--preprocess', 'image:32x32,rgb,scale=1/255,layout=nchw']);
}, T);
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('mlx containerize --gpu', () => {
  it(
    'writes a CUDA image serving with --device cuda, a GPU reservation, nvidia.com/gpu, the same health checks, and no warning',
    () => {
      const r = mlx(dir, ['containerize', 'models:/pets/1', '--out', 'gpu', '--gpu', '--k8s', '--json']);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).not.toMatch(/GPU/);
      const doc = JSON.parse(r.stdout);
      expect(doc.serve_command.slice(doc.serve_command.indexOf('--device'), doc.serve_command.indexOf('--device') + 2)).toEqual(['--device', 'cuda']);
      const ctx = path.join(dir, 'gpu');
      const df = fs.readFileSync(path.join(ctx, 'Dockerfile'), 'utf8');
      expect(lintDockerfile(df)).toEqual([]);
      expect(df).toMatch(/^ARG CUDA_IMAGE=nvidia\/cuda:12\.\d+\.\d+-cudnn-runtime-ubuntu22\.04$/m);
      expect(df).toMatch(/^FROM \$\{CUDA_IMAGE\}$/m);
      expect(df).toMatch(/^ENV ONNXRUNTIME_NODE_INSTALL_CUDA=v12$/m);
      expect(df).toMatch(/^USER node$/m);
      expect(df).toMatch(/^HEALTHCHECK /m);
      expect(JSON.parse(fs.readFileSync(path.join(ctx, 'package.json'), 'utf8')).allowScripts).toEqual({ 'better-sqlite3': true, 'onnxruntime-node': true });
      const compose = parseYaml(fs.readFileSync(path.join(ctx, 'docker-compose.yml'), 'utf8'));
      expect(compose.services['ml-api'].deploy.resources.reservations.devices).toEqual([{ driver: 'nvidia', count: 1, capabilities: ['gpu'] }]);
      expect(compose.services['ml-api'].healthcheck.test.slice(0, 2)).toEqual(['CMD', 'node']);
      const config = spawnSync('docker-compose', ['-f', path.join(ctx, 'docker-compose.yml'), 'config', '-q'], { encoding: 'utf8' });
      if (!config.error) expect(config.status, config.stderr).toBe(0);
      const deployment = parseYaml(fs.readFileSync(path.join(ctx, 'k8s/deployment.yaml'), 'utf8'));
      const container = deployment.spec.template.spec.containers[0];
      expect(container.resources.limits['nvidia.com/gpu']).toBe(1);
      expect(container.args.slice(container.args.indexOf('--device'), container.args.indexOf('--device') + 2)).toEqual(['--device', 'cuda']);
      expect(container.readinessProbe.httpGet.path).toBe('/ready');
      // GPU batches by default: 32 images (the ConfigMap holds the image's settings).
      expect(parseYaml(fs.readFileSync(path.join(ctx, 'k8s/configmap.yaml'), 'utf8')).data.MLX_MAX_BATCH_SIZE).toBe('32');
      const readme = fs.readFileSync(path.join(ctx, 'README.md'), 'utf8');
      expect(readme).toContain('## GPU');
      expect(readme).toContain('`--device cuda`');
    },
    T,
  );

  it(
    'the CPU image stays as it was: node:slim, the CUDA download skipped, mlx serve’s default device',
    () => {
      const doc = mlxJson(dir, ['containerize', 'models:/pets/1', '--out', 'cpu']);
      expect(doc.serve_command).not.toContain('--device');
      const df = fs.readFileSync(path.join(dir, 'cpu', 'Dockerfile'), 'utf8');
      expect(df).not.toContain('CUDA_IMAGE');
      expect(df).toMatch(/^ENV ONNXRUNTIME_NODE_INSTALL=skip$/m);
    },
    T,
  );
});
