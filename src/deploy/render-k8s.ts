import { commonVars, serveArgs, tuning, type ContextSpec, type TextFile } from './render.js';
import { fill, yamlList, yamlMap } from './templates.js';

/** Kubernetes' recommended labels (app.kubernetes.io/*) of every object. */
export function k8sLabels(s: ContextSpec): Record<string, string> {
  return {
    'app.kubernetes.io/name': s.app,
    'app.kubernetes.io/instance': s.app,
    'app.kubernetes.io/version': s.version !== null ? String(s.version) : s.sha256.slice(0, 12),
    'app.kubernetes.io/component': 'model-server',
    'app.kubernetes.io/managed-by': 'mlx',
  };
}

/** The labels a Service and the Deployment select pods by (stable across versions, so a rollout keeps its Service). */
export function k8sSelector(s: ContextSpec): Record<string, string> {
  return { 'app.kubernetes.io/name': s.app, 'app.kubernetes.io/instance': s.app };
}

export const K8S_FILES = ['configmap.yaml', 'deployment.yaml', 'service.yaml', 'hpa.yaml', 'pdb.yaml'] as const;

/** The manifests under k8s/: Deployment, Service, HorizontalPodAutoscaler, PodDisruptionBudget, ConfigMap and a kustomization. */
export function renderK8sFiles(s: ContextSpec): TextFile[] {
  const labels = k8sLabels(s);
  const vars: Record<string, string> = {
    ...commonVars(s),
    ...tuning(s),
    namespace: s.namespace ? `  namespace: ${s.namespace}` : '',
    labels: yamlMap(labels, 4),
    selector: yamlMap(k8sSelector(s), 6),
    service_selector: yamlMap(k8sSelector(s), 4),
    pod_labels: yamlMap(labels, 8),
    args: yamlList(serveArgs(s, { fromEnv: true }), 12),
    replicas: String(s.replicas),
    max_replicas: String(s.maxReplicas),
    cpu: s.cpu.k8s,
    memory: s.memory.k8s,
    cpu_target: String(s.cpuTarget),
    gpu: s.gpu ? '              nvidia.com/gpu: 1' : '',
    resources: K8S_FILES.map((f) => `  - ${f}`).join('\n'),
  };
  return [
    ...K8S_FILES.map((f) => ({ path: `k8s/${f}`, content: fill(`k8s/${f}`, vars) })),
    { path: 'k8s/kustomization.yaml', content: fill('k8s/kustomization.yaml', vars) },
  ];
}
