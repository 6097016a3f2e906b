import { SERVE_DEFAULTS, type ServeSettings } from '../serving/defaults.js';
import type { CpuQuantity, MemoryQuantity } from './validate.js';

/** Checked image options, with defaults applied. */
export interface ImageOptions {
  port: number;
  /** Given by --tag, else derived once the image's content is known. */
  tag?: string;
  nodeVersion: string;
  k8s: boolean;
  replicas: number;
  maxReplicas: number;
  cpu: CpuQuantity;
  memory: MemoryQuantity;
  /** HPA target, % of the CPU request. */
  cpuTarget: number;
  namespace?: string;
}

/**
 * Checked options of a model's build context, with defaults applied. The serving settings given
 * go into the image's `mlx serve` command; the others are `mlx serve`'s defaults (SERVE_DEFAULTS).
 */
export interface ContextOptions extends ImageOptions, Partial<ServeSettings> {
  gpu: boolean;
  grafana: boolean;
  /** onnxruntime threads per instance: given, else the CPU budget shared out between instances, rounded up (onnxruntime would otherwise start one per host core). */
  threads: number;
  /** How the image's command line is written: the CLI owns `mlx serve`'s flags. */
  serveCommand: ServeCommandLine;
}

/** Writes the arguments of `mlx serve` for an image (values may be Kubernetes `$(VAR)` references). */
export interface ServeCommandLine {
  args(o: {
    modelFile: string;
    host: string;
    port: string;
    labelsFile?: string | null;
    preprocess?: string | null;
    /** The data schema requests are checked against (`mlx serve --schema`). */
    schemaFile?: string | null;
    modelVersion?: string;
    allowUnauthenticated: boolean;
    /** `mlx serve --device` (unset: its default, auto). */
    device?: string;
    settings: Partial<Record<keyof ServeSettings, string>>;
  }): string[];
}

/** The image's defaults (its port is `mlx serve`'s). */
export const DEFAULTS = { port: String(SERVE_DEFAULTS.port), nodeVersion: '20', replicas: '2', cpu: '1', memory: '1Gi', cpuTarget: 70 } as const;
