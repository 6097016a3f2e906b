import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { expectError, mlx, tempProject } from './helpers/cli.js';

// `mlx completion SHELL` from the built binary, and the scripts run by the real shells.

const has = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
const skipped = (shell: string) => (has(shell) ? '' : ` (SKIPPED: ${shell} is not installed; apt-get install ${shell})`);

let dir: string;
const script = (shell: string) => path.join(dir, `mlx.${shell}`);

beforeAll(() => {
  dir = tempProject('mlx-completion-');
  for (const shell of ['bash', 'zsh', 'fish']) {
    const r = mlx(dir, ['completion', shell]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    fs.writeFileSync(script(shell), r.stdout);
  }
  // Things to complete file names against.
  fs.writeFileSync(path.join(dir, 'data.csv'), 'age,income\n');
  fs.writeFileSync(path.join(dir, 'data.jsonl'), '{}\n');
  fs.mkdirSync(path.join(dir, 'data-dir'));
});

describe('mlx completion', () => {
  it('refuses an unknown shell with a usage error naming the shells', () => {
    expectError(mlx(dir, ['completion', 'tcsh']), 2, 'tcsh', 'bash', 'zsh', 'fish');
    expectError(mlx(dir, ['completion']), 2, 'shell');
  });

  it('documents the install lines in its help', () => {
    const r = mlx(dir, ['completion', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('mlx completion bash > ~/.local/share/bash-completion/completions/mlx');
    expect(r.stdout).toContain('mlx completion zsh > "${fpath[1]}/_mlx"');
    expect(r.stdout).toContain('mlx completion fish > ~/.config/fish/completions/mlx.fish');
  });

  it('mlx --help lists the commands and ends with Get started; every command help has examples', () => {
    const top = mlx(dir, ['--help']);
    expect(top.code).toBe(0);
    expect(top.stdout).toMatch(/\n {2}completion( \[options\])? <shell> +print a shell completion script\n/);
    expect(top.stdout).toMatch(/Get started:\n {2}npm run demo[\s\S]*\n {2}mlx ui/);
    const sub = mlx(dir, ['runs', 'list', '--help']);
    expect(sub.stdout).toMatch(/\nExamples:\n {2}mlx runs list --experiment image-classifier-v2/);
  });
});

describe('bash', () => {
  /** What _mlx offers for the words of a command line (the last one being completed), run in a real bash. */
  function complete(...words: string[]): string[] {
    const r = spawnSync(
      'bash',
      [
        '-c',
        'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}; _mlx; printf "%s\\n" "${COMPREPLY[@]}"',
        'bash',
        script('bash'),
        ...words,
      ],
      { cwd: dir, encoding: 'utf8' },
    );
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    return r.stdout.split('\n').filter(Boolean).sort();
  }

  it('is valid bash and registers _mlx for mlx', () => {
    const r = spawnSync('bash', ['-c', 'source "$1" && complete -p mlx', 'bash', script('bash')], { encoding: 'utf8' });
    expect(r.stdout.trim()).toBe('complete -F _mlx mlx');
  });

  it('completes commands and subcommands', () => {
    expect(complete('mlx', 'ru')).toEqual(['run', 'runs']);
    expect(complete('mlx', 'runs', '')).toEqual(['delete', 'end', 'history', 'list', 'reproduce', 'restore', 'show', 'start']);
    expect(complete('mlx', 'models', 'a')).toEqual(['alias']);
    expect(complete('mlx', 'completion', '')).toEqual(['bash', 'fish', 'zsh']);
    // A program option's value is skipped on the way to the subcommand.
    expect(complete('mlx', '--tracking-uri', '.mlx', 'runs', 'l')).toEqual(['list']);
  });

  it("completes each command's own options", () => {
    expect(complete('mlx', 'serve', '--max-b')).toEqual(['--max-batch-delay-ms', '--max-batch-size', '--max-body-mb']);
    expect(complete('mlx', 'serve', '--max-q')).toEqual(['--max-queue']);
    expect(complete('mlx', 'log', 'metric', '--')).toEqual(['--help', '--run', '--step', '--timestamp', '--tracking-uri']);
    expect(complete('mlx', 'runs', 'list', '-e', 'image-classifier-v2', '--o')).toEqual(['--order-by']);
    expect(complete('mlx', '--')).toEqual(['--help', '--tracking-uri', '--version']);
  });

  it('completes files for FILE options and arguments, folders for DIR, nothing for other values', () => {
    expect(complete('mlx', 'predict', 'models:/customer-value@champion', '--input', 'data.')).toEqual(['data.csv', 'data.jsonl']);
    expect(complete('mlx', 'drift', '-r', 'data.csv', '--current', 'data.j')).toEqual(['data.jsonl']);
    expect(complete('mlx', 'models', 'card', 'pets-classifier', '--out', '=', 'data.c')).toEqual(['data.csv']); // --out=…
    expect(complete('mlx', 'server', '--artifacts-destination', 'data')).toEqual(['data-dir']);
    expect(complete('mlx', 'log', 'artifact', 'data.c')).toEqual(['data.csv']);
    expect(complete('mlx', 'runs', 'list', '--experiment', 'ru')).toEqual([]);
  });

  it('completes the wrapped command after --', () => {
    expect(complete('mlx', 'run', '-e', 'image-classifier-v2', '--', 'bas')).toContain('bash');
    expect(complete('mlx', 'sweep', '--param', 'lr=0.1,0.2', '--', 'bash', 'data.c')).toEqual(['data.csv']);
  });
});

describe('zsh', () => {
  it.skipIf(!has('zsh'))(`is valid zsh and registers _mlx for mlx when sourced after compinit${skipped('zsh')}`, () => {
    expect(spawnSync('zsh', ['-n', script('zsh')], { encoding: 'utf8' })).toMatchObject({ status: 0, stderr: '' });
    const r = spawnSync(
      'zsh',
      [
        '-f',
        '-c',
        'autoload -Uz compinit && compinit -u -d "$2/.zcompdump" && source "$1" && print -r -- $_comps[mlx] && whence -w _mlx__runs__list',
        'zsh',
        script('zsh'),
        dir,
      ],
      { encoding: 'utf8' },
    );
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('_mlx\n_mlx__runs__list: function\n');
  });
});

describe('fish', () => {
  const complete = (line: string) => {
    const r = spawnSync('fish', ['--no-config', '-c', 'source $argv[1]; complete -C $argv[2]', script('fish'), line], { cwd: dir, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    return r.stdout
      .split('\n')
      .filter(Boolean)
      .map((l) => l.split('\t')[0]!)
      .sort();
  };

  it.skipIf(!has('fish'))(`is valid fish and completes commands, options and files${skipped('fish')}`, () => {
    expect(spawnSync('fish', ['--no-execute', script('fish')], { encoding: 'utf8' })).toMatchObject({ status: 0, stderr: '' });
    expect(complete('mlx ru')).toEqual(['run', 'runs']);
    expect(complete('mlx runs ')).toEqual(['delete', 'end', 'history', 'list', 'reproduce', 'restore', 'show', 'start']);
    expect(complete('mlx --tracking-uri .mlx runs l')).toEqual(['list']);
    expect(complete('mlx serve --max-b')).toEqual(['--max-batch-delay-ms', '--max-batch-size', '--max-body-mb']);
    expect(complete('mlx predict m --input data.')).toEqual(['data.csv', 'data.jsonl']);
    expect(complete('mlx completion ')).toEqual(['bash', 'fish', 'zsh']);
    expect(complete('mlx run -e x -- bas')).toContain('bash');
  });
});
