import { Command, CommanderError } from 'commander';
import { describe, expect, it } from 'vitest';
import { examples } from './help.js';
import { buildProgram } from './program.js';

/** Commands deliberately without an example yet (containerize is being reworked elsewhere). */
const SKIPPED = new Set<string>();

interface Node {
  path: string[];
  cmd: Command;
}

/** The commands people see: hidden ones (`mlx __complete`, for the completion scripts) have no help to check. */
function tree(cmd: Command, path: string[] = []): Node[] {
  return cmd.commands
    .filter((c) => !(c as unknown as { _hidden?: boolean })._hidden)
    .flatMap((c) => [{ path: [...path, c.name()], cmd: c }, ...tree(c, [...path, c.name()])]);
}

const all = (cmd: Command): Command[] => [cmd, ...cmd.commands.flatMap(all)];

/** What `mlx PATH --help` prints on stdout, from the real program. */
async function helpOf(path: string[]): Promise<string> {
  const program = buildProgram();
  let out = '';
  for (const c of all(program)) c.exitOverride().configureOutput({ writeOut: (s) => (out += s), writeErr: () => {} });
  await expect(program.parseAsync(['node', 'mlx', ...path, '--help'])).rejects.toMatchObject({ code: 'commander.helpDisplayed' });
  return out;
}

/** The indented lines of the help section headed TITLE (`Examples:`), continuation lines joined. */
function section(help: string, title: RegExp): string[] {
  const lines = help.split('\n');
  const start = lines.findIndex((l) => title.test(l));
  if (start < 0) return [];
  const body: string[] = [];
  for (const l of lines.slice(start + 1)) {
    if (!l.startsWith('  ')) break;
    if (body.length && body[body.length - 1]!.endsWith('\\')) body[body.length - 1] = `${body[body.length - 1]!.slice(0, -1)} ${l.trim()}`;
    else body.push(l.trim());
  }
  return body;
}

/**
 * The simple commands of one shell line, as argv arrays: quotes and backslashes as sh does,
 * split at | || && & ;, redirections dropped, comments cut, and $( … ) substitutions both
 * listed as commands of their own and replaced by a placeholder word.
 */
function shellCommands(line: string): string[][] {
  const commands: string[][] = [];
  let words: string[] = [];
  let word: string | null = null;
  let skipNext = false; // the target of a redirection
  const endWord = () => {
    if (word !== null) {
      if (skipNext) skipNext = false;
      else words.push(word);
    }
    word = null;
  };
  const endCommand = () => {
    endWord();
    if (words.length) commands.push(words);
    words = [];
  };
  const substitution = (from: number): number => {
    // from is just past "$(": find the matching ")" outside quotes.
    let depth = 1;
    let quote = '';
    for (let j = from; j < line.length; j++) {
      const c = line[j]!;
      if (quote) {
        if (c === quote) quote = '';
        else if (c === '\\' && quote === '"') j++;
      } else if (c === "'" || c === '"') quote = c;
      else if (c === '(') depth++;
      else if (c === ')' && --depth === 0) {
        commands.push(...shellCommands(line.slice(from, j)));
        word = (word ?? '') + 'SUBSTITUTED';
        return j;
      }
    }
    throw new Error(`unterminated $( in: ${line}`);
  };
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === ' ' || c === '\t') endWord();
    else if (c === '#' && word === null) break;
    else if (c === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) throw new Error(`unterminated ' in: ${line}`);
      word = (word ?? '') + line.slice(i + 1, end);
      i = end;
    } else if (c === '"') {
      word ??= '';
      for (i++; i < line.length && line[i] !== '"'; i++) {
        if (line[i] === '\\' && '"\\$`'.includes(line[i + 1] ?? '')) word += line[++i];
        else if (line.startsWith('$(', i)) i = substitution(i + 2);
        else word += line[i];
      }
      if (i >= line.length) throw new Error(`unterminated " in: ${line}`);
    } else if (c === '\\') word = (word ?? '') + (line[++i] ?? '');
    else if (line.startsWith('$(', i)) i = substitution(i + 2);
    else if (c === '|' || c === ';' || (c === '&' && line[i - 1] !== '>')) {
      endCommand();
      if (line[i + 1] === c) i++;
    } else if (c === '>' || c === '<') {
      // 2>, >>, >&1, <: the operator (with a descriptor number before it) and its target go.
      if (word !== null && /^\d+$/.test(word)) word = null;
      endWord();
      if (line[i + 1] === '>') i++;
      if (line[i + 1] === '&') {
        i++;
        while (/\d/.test(line[i + 1] ?? '')) i++;
      } else skipNext = true;
    } else word = (word ?? '') + c;
  }
  endCommand();
  return commands;
}

/** The mlx invocations of an example line: argv after `mlx`, env assignments before it ignored. */
function mlxInvocations(line: string): string[][] {
  return shellCommands(line)
    .map((words) => words.slice(words.findIndex((w) => !/^[A-Za-z_][A-Za-z0-9_]*=/.test(w))))
    .filter((words) => words[0] === 'mlx')
    .map((words) => words.slice(1));
}

/**
 * Parses ARGV with the real program, every action replaced by one that records which command
 * it reached. Throws what commander throws (unknown option, missing argument or mandatory
 * option, excess arguments, bad choice). Commands that let unknown options through to check
 * them in their action (mlx log metric, for -Infinity) get the same check here.
 */
async function parse(argv: string[]): Promise<string[]> {
  const program = buildProgram();
  let reached: string[] | undefined;
  const errors: string[] = [];
  for (const c of all(program)) {
    c.exitOverride().configureOutput({ writeOut: () => {}, writeErr: () => {}, outputError: (s) => errors.push(s.trim()) });
    const internals = c as unknown as { _actionHandler: unknown; _allowUnknownOption: boolean; _allowExcessArguments: boolean };
    if (!internals._actionHandler) continue;
    c.action((...args: unknown[]) => {
      const cmd = args[args.length - 1] as Command;
      if (internals._allowUnknownOption) {
        const flag = cmd.args.find((a) => /^-./.test(a) && Number.isNaN(Number(a)) && !/^-(inf|nan)$/i.test(a));
        if (flag) throw new Error(`unknown option ${flag}`);
      }
      if (internals._allowExcessArguments && !cmd.registeredArguments.some((a) => a.variadic) && cmd.args.length > cmd.registeredArguments.length)
        throw new Error(`too many arguments: ${cmd.args.join(' ')}`);
      const path: string[] = [];
      for (let p: Command | null = cmd; p && p !== program; p = p.parent) path.unshift(p.name());
      reached = path;
    });
  }
  try {
    await program.parseAsync(['node', 'mlx', ...argv]);
  } catch (err) {
    if (err instanceof CommanderError) throw new Error(`${err.code}: ${errors.join(' ') || err.message}`, { cause: err });
    throw err;
  }
  if (!reached) throw new Error('reached no command');
  return reached;
}

const nodes = tree(buildProgram());

describe('examples in --help', () => {
  it('finds the whole command tree', () => {
    const paths = nodes.map((n) => n.path.join(' '));
    expect(paths).toEqual(expect.arrayContaining(['run', 'runs list', 'log metric', 'models card', 'drift', 'db migrate', 'completion']));
    expect(nodes.length).toBeGreaterThan(40);
  });

  it.each(nodes.filter((n) => !SKIPPED.has(n.path[0]!)).map((n) => [n.path.join(' '), n] as const))(
    'mlx %s --help shows 1 to 3 examples that parse and reach it',
    async (_name, { path }) => {
      const help = await helpOf(path);
      expect(help, `no Example section in mlx ${path.join(' ')} --help`).toMatch(/\nExamples?:\n {2}\S/);
      const lines = section(help, /^Examples?:$/);
      expect(lines.length).toBeGreaterThanOrEqual(1);
      expect(lines.length).toBeLessThanOrEqual(3);
      const reached: string[] = [];
      for (const line of lines)
        for (const argv of mlxInvocations(line)) {
          const r = await parse(argv).catch((err: Error) => {
            throw new Error(`example of mlx ${path.join(' ')} does not parse: ${line}\n  ${err.message}`);
          });
          reached.push(r.join(' '));
        }
      // At least one example runs this very command (or, for a group, one of its subcommands).
      const me = path.join(' ');
      expect(
        reached.some((r) => r === me || r.startsWith(`${me} `)),
        `no example of mlx ${me} invokes it: ${lines.join(' | ')}`,
      ).toBe(true);
    },
  );

  it('the examples of skipped commands, if any, parse too', async () => {
    for (const { path } of nodes.filter((n) => SKIPPED.has(n.path[0]!))) {
      for (const line of section(await helpOf(path), /^Examples?:$/)) for (const argv of mlxInvocations(line)) await parse(argv);
    }
  });

  it('mlx --help lists every command with a description and ends with Get started', async () => {
    const help = await helpOf([]);
    for (const n of nodes.filter((x) => x.path.length === 1)) expect(help).toMatch(new RegExp(`\\n {2}${n.path[0]}( \\[options\\])?[^\\n]* {2,}\\S`));
    const started = section(help, /^Get started:$/);
    expect(started.join('\n')).toMatch(/npm run demo[\s\S]*mlx run [\s\S]*mlx ui/);
    for (const line of started) for (const argv of mlxInvocations(line)) await parse(argv);
  });
});

describe('the example checker', () => {
  it.each([
    ['mlx runs list --bogus', /unknownOption/],
    ['mlx register model.onnx', /missingMandatoryOptionValue/],
    ['mlx ui --tracking-url .mlx', /unknownOption/],
    ['mlx models show', /missingArgument/],
    ['mlx runs lst', /unknownCommand|excessArguments/],
    ['mlx log metric loss', /missingArgument/],
    ['mlx log metric loss 0.3 --bogus', /unknown option --bogus/],
    ['mlx log metric loss 0.3 7', /too many arguments/],
    ['mlx completion tcsh', /invalidArgument/],
    ['mlx experiments rename a b c', /excessArguments/],
  ])('refuses %s', async (line, error) => {
    const [argv] = mlxInvocations(line);
    await expect(parse(argv!)).rejects.toThrow(error);
  });

  it('accepts what the shell would run', async () => {
    expect(await parse(['log', 'metric', 'loss', '-Infinity'])).toEqual(['log', 'metric']);
    expect(await parse(['--tracking-uri', '.mlx', 'ui'])).toEqual(['ui']);
    expect(await parse(['runs', 'list', '--tracking-uri', '.mlx'])).toEqual(['runs', 'list']);
    expect(await parse(['run', '--', 'python', 'train.py', '--epochs', '3'])).toEqual(['run']);
  });

  it('splits lines as sh does', () => {
    expect(shellCommands(`mlx runs list --filter "metrics.acc > 0.9 and params.opt = 'adam'" --json`)).toEqual([
      ['mlx', 'runs', 'list', '--filter', "metrics.acc > 0.9 and params.opt = 'adam'", '--json'],
    ]);
    expect(shellCommands(`echo '{"a":1}' | mlx log batch - && mlx server --port 5000 &`)).toEqual([
      ['echo', '{"a":1}'],
      ['mlx', 'log', 'batch', '-'],
      ['mlx', 'server', '--port', '5000'],
    ]);
    expect(shellCommands('RUN=$(mlx runs start -e "my exp") # a comment')).toEqual([['mlx', 'runs', 'start', '-e', 'my exp'], ['RUN=SUBSTITUTED']]);
    expect(shellCommands('mlx completion zsh > "${fpath[1]}/_mlx" 2>&1')).toEqual([['mlx', 'completion', 'zsh']]);
    expect(shellCommands('cat a\\ b.jsonl < in.txt')).toEqual([['cat', 'a b.jsonl']]);
    expect(mlxInvocations('MLX_TRACKING_URI=http://h:5000 MLX_EXPERIMENT=x mlx run -- python train.py')).toEqual([['run', '--', 'python', 'train.py']]);
    expect(mlxInvocations('npm run demo')).toEqual([]);
  });

  it('formats examples with aligned comments, singular for one', () => {
    expect(examples(['mlx ui'])).toBe('\nExample:\n  mlx ui');
    expect(examples(['mlx runs show 060a59  # prefix', 'mlx runs list --max 5 --json  # all', 'mlx runs list'], 'A note.')).toBe(
      '\nExamples:\n  mlx runs show 060a59          # prefix\n  mlx runs list --max 5 --json  # all\n  mlx runs list\nA note.',
    );
  });
});
