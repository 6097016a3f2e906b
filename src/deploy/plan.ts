/** One file of a planned build context: text, bytes, or the mlx tarball that `npm pack` writes at write time. */
export interface PlannedFile {
  path: string;
  content?: string | Buffer;
  /** True for mlx's own tarball, packed when the context is written. */
  pack?: boolean;
  /** Bytes, when known before writing. */
  size: number | null;
  /** Holds secrets: written with mode 0600, never printed (--dry-run and --json show its size only). */
  secret?: boolean;
}

/** A whole build context, rendered in memory: nothing is written until every check passed. */
export interface BuildPlan {
  out: string;
  image: string;
  files: PlannedFile[];
  mlxRoot: string;
  warnings: string[];
  /** What the folder is, as messages name it: "the build context for models:/pets/3". */
  subject: string;
  port: number;
  k8s: boolean;
  /** The `docker run` line of the next commands. */
  runCommand: string;
  /** The --json fields particular to this kind of context (model and serve_command, or tracking_server and server_command). */
  describe: Record<string, unknown>;
  /** Lines the summary adds after the commands. */
  notes: string[];
}

/** A text file of a plan. */
export const textFile = (path: string, content: string, secret = false): PlannedFile => ({
  path,
  content,
  size: Buffer.byteLength(content),
  ...(secret ? { secret } : {}),
});

/** The file at the top of every build context mlx writes: `--force` replaces only a folder that holds it (or an empty one). */
export const MARKER_FILE = '.mlx-build-context';

/** The marker of a context: what wrote it, and why the file is there. */
export function markerFile(subject: string, mlxVersion: string): PlannedFile {
  return textFile(
    MARKER_FILE,
    `# Written by \`mlx containerize\` (mlx ${mlxVersion}): ${subject}.\n` +
      '# `mlx containerize --out THIS_FOLDER --force` replaces a folder only when it holds this file;\n' +
      '# delete the file to keep mlx from ever replacing the folder.\n',
  );
}

/** The image's command line, ENTRYPOINT + CMD, parsed back from the Dockerfile (its source of truth). */
export function imageCommand(files: PlannedFile[]): string[] {
  const dockerfile = files.find((f) => f.path === 'Dockerfile')!.content as string;
  const json = (op: string) => JSON.parse(new RegExp(`^${op} (\\[.*\\])$`, 'm').exec(dockerfile)![1]) as string[];
  return [...json('ENTRYPOINT'), ...json('CMD')];
}
