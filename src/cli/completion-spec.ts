import type { Command, Option } from 'commander';

/**
 * The command tree as shell completion sees it (commands, options, what their values are), read
 * from commander's own objects; completion.ts turns it into bash, zsh and fish scripts.
 */

export const SHELLS = ['bash', 'zsh', 'fish'] as const;
export type Shell = (typeof SHELLS)[number];

/** What the value of an option or argument is, for completing it. */
export type ValueKind =
  | { kind: 'file' }
  | { kind: 'dir' }
  | { kind: 'command' }
  | { kind: 'text' }
  | { kind: 'choices'; choices: string[] }
  /** Names read from the store when completing (`mlx __complete WHAT`); model-uris offer files too. */
  | { kind: 'store'; what: 'experiments' | 'models' | 'model-uris' };

/**
 * Flags whose values the code checks against a fixed list rather than commander's choices (their
 * refusals are worded by mlx): the list, for completion.
 */
const ENUMERATED: Record<string, string[]> = {
  '--test': ['auto', 'ks', 'chisquare', 'z', 'psi', 'wasserstein', 'jensenshannon'],
  '--view': ['active', 'deleted', 'all'],
  '--goal': ['min', 'max'],
  '--strategy': ['grid', 'random'],
  '--status': ['FINISHED', 'FAILED', 'KILLED'],
};

/** Store-backed values by argument name: a model argument of `mlx models …` is a model name or reference. */
function storeKind(name: string, path: string[]): ValueKind | null {
  const n = name.toLowerCase().replace(/\.\.\.$/, '');
  if (n === 'experiment') return { kind: 'store', what: 'experiments' };
  if (n === 'model-uri') return { kind: 'store', what: 'model-uris' };
  if (path[0] === 'models' && (n === 'model' || n === 'name')) return { kind: 'store', what: 'models' };
  return null;
}

export interface OptionSpec {
  long?: string;
  short?: string;
  description: string;
  /** undefined for a flag without a value. */
  value?: ValueKind & { name: string; optional: boolean };
  repeatable: boolean;
}

export interface ArgSpec {
  name: string;
  required: boolean;
  variadic: boolean;
  value: ValueKind;
}

export interface CommandSpec {
  /** Command names from the program down, e.g. ['runs', 'list']; [] for the program. */
  path: string[];
  name: string;
  description: string;
  options: OptionSpec[];
  args: ArgSpec[];
  subcommands: CommandSpec[];
}

/** The completion-relevant shape of a commander program: visible commands and options, `help` left out. */
export function commandSpec(cmd: Command, path: string[] = []): CommandSpec {
  const help = cmd.createHelp();
  return {
    path,
    name: cmd.name(),
    description: shortDescription(cmd.summary() || cmd.description()),
    options: help.visibleOptions(cmd).map(optionSpec),
    args: cmd.registeredArguments.map((a) => ({
      name: a.name(),
      required: a.required,
      variadic: a.variadic,
      value: a.argChoices ? { kind: 'choices', choices: a.argChoices } : (storeKind(a.name(), path) ?? kindOf(a.name())),
    })),
    subcommands: help
      .visibleCommands(cmd)
      .filter((c) => c.name() !== 'help')
      .map((c) => commandSpec(c, [...path, c.name()])),
  };
}

function optionSpec(o: Option): OptionSpec {
  const placeholder = /[<[]([^>\]]*)[>\]]/.exec(o.flags)?.[1];
  return {
    long: o.long,
    short: o.short,
    description: shortDescription(o.description),
    value:
      placeholder === undefined
        ? undefined
        : {
            ...(o.argChoices
              ? { kind: 'choices' as const, choices: o.argChoices }
              : o.long && ENUMERATED[o.long]
                ? { kind: 'choices' as const, choices: ENUMERATED[o.long] }
                : o.long === '--experiment'
                  ? { kind: 'store' as const, what: 'experiments' as const }
                  : kindOf(placeholder)),
            name: placeholder,
            optional: o.optional,
          },
    repeatable: o.variadic || /\brepeatable\b/i.test(o.description),
  };
}

/** Guesses what a value is from its placeholder or argument name: <file>, <file|dir>, <dir>, <path>, <cmd...>. */
export function kindOf(name: string): ValueKind {
  const n = name.toLowerCase().replace(/\.\.\.$/, '');
  if (n === 'cmd' || n === 'command') return { kind: 'command' };
  if (/\bfile\b|^paths?$|^pointers?$|^file\.|^source$|^model-uri$/.test(n)) return { kind: 'file' };
  if (/^dir$/.test(n)) return { kind: 'dir' };
  return { kind: 'text' };
}

/** The first clause of a description, short enough for a completion menu. */
function shortDescription(d: string): string {
  const first = d
    .replace(/\s*\([^()]*\)/g, '')
    .split(/; |: /)[0]!
    .trim();
  if (first.length <= 70) return first;
  const cut = first.slice(0, 69);
  return `${cut.slice(0, cut.lastIndexOf(' ') > 40 ? cut.lastIndexOf(' ') : 69).replace(/[,\s]+$/, '')}…`;
}

export function walk(spec: CommandSpec): CommandSpec[] {
  return [spec, ...spec.subcommands.flatMap(walk)];
}
