import type { Command } from 'commander';
import type { ContainerizeFlags } from '../../deploy/options.js';
import { withStore } from '../context.js';

/** `mlx containerize MODEL_URI [--out DIR]`: a Docker build context, Compose and (--k8s) Kubernetes manifests. */
export function registerContainerizeCommand(program: Command): void {
  program
    .command('containerize <model-uri>')
    .description('write a Docker build context serving a model, with docker-compose, Prometheus and (--k8s) Kubernetes manifests')
    .option('-o, --out <dir>', 'output folder (default: build/NAME-vVERSION)')
    .option('--force', 'replace the contents of a non-empty output folder')
    .option('--dry-run', 'list and print the files, write nothing')
    .option('-t, --tag <image>', 'image reference (default: NAME:VERSION), e.g. registry.example.com/team/pets:3')
    .option('--build', 'run docker build -t TAG on the written context (needs a Docker engine)')
    .option('-p, --port <port>', 'port the server listens on in the container (default: 8000)')
    .option('--node-version <v>', 'Node.js of the node:V-slim base image (default: 20)')
    .option('--gpu', 'reserve an NVIDIA GPU (compose device reservation; nvidia.com/gpu with --k8s)')
    .option('--grafana', 'add Grafana with a provisioned dashboard to docker-compose.yml')
    .option('--k8s', 'also write Kubernetes manifests in k8s/: Deployment, Service, HPA, PDB, ConfigMap')
    .option('--replicas <n>', 'Deployment replicas and HPA minimum (default: 2; with --k8s)')
    .option('--max-replicas <n>', 'HPA maximum (default: 10, at least --replicas; with --k8s)')
    .option('--namespace <ns>', 'Kubernetes namespace of the manifests (with --k8s)')
    .option('--cpu <q>', 'CPU per replica, requested and limited (default: 1), e.g. 500m, 2')
    .option('--memory <q>', 'memory per replica, requested and limited (default: 1Gi), e.g. 512Mi, 2Gi')
    .option('--threads <n>', 'onnxruntime threads (default: --cpu rounded up)')
    .option('--max-batch-size <n>', 'mlx serve --max-batch-size in the image')
    .option('--max-batch-delay-ms <ms>', 'mlx serve --max-batch-delay-ms in the image')
    .option('--max-body-mb <mb>', 'mlx serve --max-body-mb in the image')
    .option('--labels <file>', 'class names (one per line) for a model that is not registered, or to replace the registered ones')
    .option('--preprocess <spec>', 'preprocessing spec for a model that is not registered, or to replace the registered one')
    .option('--json', 'print what was written (or would be) as JSON')
    .action(async (uri: string, f: ContainerizeFlags & { json?: boolean }, cmd: Command) => {
      const { parseContainerizeFlags } = await import('../../deploy/options.js');
      const { planContext } = await import('../../deploy/containerize.js');
      const { checkOutDir, writeContext } = await import('../../deploy/write-context.js');
      const { checkDockerEngine, dockerBuild } = await import('../../deploy/docker.js');
      const { displayDir, dryRunListing, planJson, writtenSummary } = await import('../../deploy/report.js');
      const { printJson, print } = await import('../output.js');

      const options = parseContainerizeFlags(f);
      const plan = await withStore(cmd, false, (store) =>
        planContext(store, { uri, out: f.out, labelsFile: f.labels, preprocess: f.preprocess, options }),
      );
      checkOutDir(plan.out, !!f.force);
      if (f.build) checkDockerEngine(plan.image, displayDir(plan.out));
      for (const w of plan.warnings) process.stderr.write(`mlx: warning: ${w}\n`);
      if (f.dryRun) {
        if (f.json) printJson(planJson(plan, null));
        else print(dryRunListing(plan));
        return;
      }
      const written = writeContext(plan, !!f.force);
      if (f.build) {
        process.stderr.write(`mlx: building ${plan.image} from ${written.out}\n`);
        await dockerBuild(plan.image, written.out);
      }
      if (f.json) printJson(planJson(plan, written, { built: !!f.build }));
      else print(writtenSummary(plan, written) + (f.build ? `Built image ${plan.image}\n` : ''));
    });
}
