import type { Command } from 'commander';
import type { ContainerizeFlags } from './containerize-flags.js';
import { withStore } from '../context.js';
import { usage } from '../flags.js';
import { addImageServeSettings } from '../serve-settings.js';
import { examples } from '../help.js';

type Flags = ContainerizeFlags & { json?: boolean };

/** The plan of the folder to write: a model's image, or with --tracking-server the tracking server's (no model then). */
async function plan(uri: string | undefined, f: Flags, cmd: Command) {
  const { parseContainerizeFlags, parseServerFlags } = await import('./containerize-flags.js');
  if (f.trackingServer) {
    if (uri !== undefined)
      throw usage(
        `--tracking-server writes the tracking server's image, which serves no model: drop ${JSON.stringify(uri)}, or drop --tracking-server to containerize that model`,
      );
    const { planServerContext } = await import('../../deploy/server-context.js');
    return planServerContext({ out: f.out, options: parseServerFlags(f) });
  }
  if (uri === undefined)
    throw usage("missing required argument 'model-uri': give the model to containerize, e.g. models:/NAME/VERSION, or pass --tracking-server");
  const { planContext } = await import('../../deploy/containerize.js');
  const options = parseContainerizeFlags(f);
  return withStore(cmd, false, (store) => planContext(store, { uri, out: f.out, labelsFile: f.labels, preprocess: f.preprocess, options }));
}

/** `mlx containerize MODEL_URI [--out DIR]`: a Docker build context, Compose and (--k8s) Kubernetes manifests; `--tracking-server` for `mlx server`. */
export function registerContainerizeCommand(program: Command): void {
  const cmd = program
    .command('containerize [model-uri]')
    .summary('package a model (or the server) to deploy')
    .description(
      'write a Docker build context serving a model, with docker-compose, Prometheus and (--k8s) Kubernetes manifests; ' +
        'or, with --tracking-server, one for replicas of the tracking server over PostgreSQL',
    )
    .option('-o, --out <dir>', 'output folder (default: build/NAME-vVERSION, build/mlx-tracking-server)')
    .option('--force', 'replace an output folder mlx wrote before (it holds .mlx-build-context); never any other non-empty folder')
    .option('--dry-run', 'list and print the files, write nothing')
    .option('-t, --tag <image>', 'image reference (default: NAME:VERSION, mlx-tracking-server:MLX_VERSION), e.g. registry.example.com/team/pets:3')
    .option('--build', 'run docker build -t TAG on the written context (needs a Docker engine)')
    .option('-p, --port <port>', 'port the server listens on in the container (default: 8000; 5000 with --tracking-server)')
    .option('--node-version <v>', 'Node.js of the node:V-slim base image (default: 20)')
    .option('--gpu', 'reserve an NVIDIA GPU (compose device reservation; nvidia.com/gpu with --k8s)')
    .option('--grafana', 'add Grafana with a provisioned dashboard to docker-compose.yml')
    .option('--k8s', 'also write Kubernetes manifests in k8s/: Deployment, Service, HPA, PDB, ConfigMap (PVC and example Secret with --tracking-server)')
    .option('--replicas <n>', 'Deployment replicas and HPA minimum (default: 2; with --k8s, or --tracking-server for compose too)')
    .option('--max-replicas <n>', 'HPA maximum (default: 10, at least --replicas; with --k8s)')
    .option('--namespace <ns>', 'Kubernetes namespace of the manifests (with --k8s)')
    .option('--cpu <q>', 'CPU per replica, requested and limited (default: 1; 500m with --tracking-server), e.g. 500m, 2')
    .option('--memory <q>', 'memory per replica, requested and limited (default: 1Gi; 512Mi with --tracking-server), e.g. 512Mi, 2Gi')
    .option('--threads <n>', 'onnxruntime threads (default: --cpu rounded up)');
  addImageServeSettings(cmd)
    .option('--labels <file>', 'class names (one per line) for a model that is not registered, or to replace the registered ones')
    .option('--preprocess <spec>', 'preprocessing spec for a model that is not registered, or to replace the registered one')
    .option('--tracking-server', 'instead of a model: the tracking server (mlx server) for replicas over PostgreSQL, with a shared artifacts folder')
    .option('--secret-name <name>', 'the Secret with MLX_TRACKING_URI and MLX_SERVER_TOKEN (default: mlx-tracking-server; --tracking-server --k8s)')
    .option('--artifacts-storage <q>', 'size of the ReadWriteMany artifacts claim (default: 20Gi; --tracking-server --k8s)')
    .option('--storage-class <name>', "storage class of the artifacts claim (default: the cluster's; --tracking-server --k8s)")
    .option('--json', 'print what was written (or would be) as JSON')
    .addHelpText(
      'after',
      examples([
        'mlx containerize models:/pets-classifier@champion --k8s  # build/pets-classifier-vN: Dockerfile, compose, k8s/',
        'mlx containerize models:/pets-classifier@champion --out build/pets --tag registry.example.com/ml/pets:3 --grafana',
        'mlx containerize --tracking-server --k8s --replicas 3 --storage-class nfs-client  # mlx server over PostgreSQL',
      ]),
    )
    .action(async (uri: string | undefined, f: Flags, cmd: Command) => {
      const { checkOutDir, writeContext } = await import('../../deploy/write-context.js');
      const { checkDockerEngine, dockerBuild } = await import('../../deploy/docker.js');
      const { displayDir, dryRunListing, planJson, writtenSummary } = await import('../../deploy/report.js');
      const { printJson, print } = await import('../output.js');

      const p = await plan(uri, f, cmd);
      checkOutDir(p.out, !!f.force);
      if (f.build) checkDockerEngine(p.image, displayDir(p.out));
      for (const w of p.warnings) process.stderr.write(`mlx: warning: ${w}\n`);
      if (f.dryRun) {
        if (f.json) printJson(planJson(p, null));
        else print(dryRunListing(p));
        return;
      }
      const written = writeContext(p, !!f.force);
      if (f.build) {
        process.stderr.write(`mlx: building ${p.image} from ${written.out}\n`);
        await dockerBuild(p.image, written.out);
      }
      if (f.json) printJson(planJson(p, written, { built: !!f.build }));
      else print(writtenSummary(p, written) + (f.build ? `Built image ${p.image}\n` : ''));
    });
}
