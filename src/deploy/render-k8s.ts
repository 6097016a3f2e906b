import { commonVars, serveArgs, tuning, type ContextSpec, type TextFile } from './render.js';
import { fill, yamlList, yamlMap } from './templates.js';

/** What names a workload's Kubernetes objects: its name, version label, component and namespace. */
export interface K8sWorkload {
  app: string;
  version: string;
  component: string;
  namespace?: string;
}

/** Kubernetes' recommended labels (app.kubernetes.io/*) of every object. */
export function k8sLabels(w: K8sWorkload): Record<string, string> {
  return {
    'app.kubernetes.io/name': w.app,
    'app.kubernetes.io/instance': w.app,
    'app.kubernetes.io/version': w.version,
    'app.kubernetes.io/component': w.component,
    'app.kubernetes.io/managed-by': 'mlx',
  };
}

/** The labels a Service and the Deployment select pods by (stable across versions, so a rollout keeps its Service). */
export function k8sSelector(w: K8sWorkload): Record<string, string> {
  return { 'app.kubernetes.io/name': w.app, 'app.kubernetes.io/instance': w.app };
}

/** The template variables of object metadata, selectors and the HPA that every workload's manifests share. */
export function k8sObjectVars(w: K8sWorkload, o: { replicas: number; maxReplicas: number; cpuTarget: number }): Record<string, string> {
  const labels = k8sLabels(w);
  return {
    app: w.app,
    namespace: w.namespace ? `  namespace: ${w.namespace}` : '',
    labels: yamlMap(labels, 4),
    selector: yamlMap(k8sSelector(w), 6),
    service_selector: yamlMap(k8sSelector(w), 4),
    pod_labels: yamlMap(labels, 8),
    replicas: String(o.replicas),
    max_replicas: String(o.maxReplicas),
    cpu_target: String(o.cpuTarget),
  };
}

/** kustomization.yaml listing the given manifests. */
export function kustomization(files: readonly string[]): TextFile {
  return { path: 'k8s/kustomization.yaml', content: fill('k8s/kustomization.yaml', { resources: files.map((f) => `  - ${f}`).join('\n') }) };
}

/** The model server's workload: named after the model, versioned by its registry version or hash. */
export function modelWorkload(s: ContextSpec): K8sWorkload {
  return { app: s.app, version: s.version !== null ? String(s.version) : s.sha256.slice(0, 12), component: 'model-server', namespace: s.namespace };
}

export const K8S_FILES = ['configmap.yaml', 'deployment.yaml', 'service.yaml', 'hpa.yaml', 'pdb.yaml'] as const;

/** The manifests under k8s/: Deployment, Service, HorizontalPodAutoscaler, PodDisruptionBudget, ConfigMap and a kustomization. */
export function renderK8sFiles(s: ContextSpec): TextFile[] {
  const vars: Record<string, string> = {
    ...commonVars(s),
    ...tuning(s),
    ...k8sObjectVars(modelWorkload(s), s),
    args: yamlList(serveArgs(s, { fromEnv: true }), 12),
    cpu: s.cpu.k8s,
    memory: s.memory.k8s,
    gpu: s.gpu ? '              nvidia.com/gpu: 1' : '',
  };
  return [...K8S_FILES.map((f) => ({ path: `k8s/${f}`, content: fill(`k8s/${f}`, vars) })), kustomization(K8S_FILES)];
}
