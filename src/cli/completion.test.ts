import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Argument, Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { bashScript, commandSpec, completionScript, fishScript, kindOf, zshScript, type CommandSpec } from './completion.js';
import { buildProgram } from './program.js';

const walk = (s: CommandSpec): CommandSpec[] => [s, ...s.subcommands.flatMap(walk)];
const find = (s: CommandSpec, path: string) => walk(s).find((n) => n.path.join(' ') === path)!;
const has = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;

/** A small program with the awkward cases: quotes and brackets in descriptions, choices, nesting. */
function toy(): Command {
  const p = new Command('toy').option('--store <uri>', "the store's [location]: here").enablePositionalOptions();
  const a = p.command('alpha').description("alpha's command: it's `quoted` (really)");
  a.command('beta <file>')
    .option('-o, --out <dir>', 'where')
    .option('--mode <mode>', 'how')
    .option('-t, --tag <k=v>', 'a tag (repeatable)', (v: string, prev: string[] = []) => [...prev, v])
    .addArgument(new Argument('[level]').choices(['low', 'high']));
  p.command('gamma').argument('<cmd...>').option('--log [run]', 'optional value').passThroughOptions();
  return p;
}

describe('commandSpec', () => {
  const spec = commandSpec(buildProgram());

  it('reads every command, subcommand and option of the program, without `help`', () => {
    expect(spec.subcommands.map((c) => c.name)).toEqual(expect.arrayContaining(['run', 'runs', 'log', 'models', 'serve', 'drift', 'db', 'completion']));
    expect(spec.subcommands.map((c) => c.name)).not.toContain('help');
    expect(find(spec, 'runs').subcommands.map((c) => c.name)).toEqual(['list', 'show', 'delete', 'restore', 'start', 'end', 'reproduce', 'history']);
    expect(spec.options.map((o) => o.long)).toEqual(expect.arrayContaining(['--tracking-uri', '--version', '--help']));
    expect(find(spec, 'serve').options.map((o) => o.long)).toContain('--max-batch-size');
  });

  it('knows which values are files, folders, commands or choices', () => {
    const opt = (path: string, long: string) => find(spec, path).options.find((o) => o.long === long)!;
    expect(opt('predict', '--input').value).toMatchObject({ kind: 'file', optional: false });
    expect(opt('drift', '--reference').value).toMatchObject({ kind: 'file' });
    expect(opt('server', '--artifacts-destination').value).toMatchObject({ kind: 'dir' });
    expect(opt('runs list', '--experiment')).toMatchObject({ value: { kind: 'store', what: 'experiments' }, repeatable: true, short: '-e' });
    expect(opt('runs list', '--json').value).toBeUndefined();
    expect(opt('monitor', '--log-to-run').value).toMatchObject({ optional: true });
    expect(find(spec, 'run').args).toEqual([{ name: 'cmd', required: true, variadic: true, value: { kind: 'command' } }]);
    expect(find(spec, 'completion').args[0]!.value).toEqual({ kind: 'choices', choices: ['bash', 'zsh', 'fish'] });
    expect(find(spec, 'log artifact').args[0]!.value).toEqual({ kind: 'file' });
    expect(find(spec, 'runs show').args[0]!.value).toEqual({ kind: 'text' });
  });

  it('guesses value kinds from placeholder names', () => {
    expect(kindOf('file|dir')).toEqual({ kind: 'file' });
    expect(kindOf('file.svg')).toEqual({ kind: 'file' });
    expect(kindOf('path')).toEqual({ kind: 'file' });
    expect(kindOf('dir')).toEqual({ kind: 'dir' });
    expect(kindOf('cmd...')).toEqual({ kind: 'command' });
    expect(kindOf('name|id')).toEqual({ kind: 'text' });
    expect(kindOf('uri')).toEqual({ kind: 'text' });
  });

  it('uses the summary, else the first clause of the description', () => {
    expect(find(spec, 'register').description).toBe('register an ONNX model version');
    expect(find(spec, 'runs list').description).toBe("search runs with MLflow's filter grammar");
    expect(find(spec, 'models alias').description).toBe('point ALIAS at VERSION');
    expect(walk(spec).every((n) => n.description.length <= 71 && n.options.every((o) => o.description.length <= 71))).toBe(true);
  });
});

describe('the generated scripts', () => {
  const program = buildProgram();
  const spec = commandSpec(program);

  it.each(['bash', 'zsh', 'fish'] as const)('%s: mention every command and long option, so they cannot go stale', (shell) => {
    const script = completionScript(shell, program);
    for (const node of walk(spec)) {
      if (node.path.length) expect(script).toContain(node.name);
      for (const o of node.options) expect(script).toContain(shell === 'fish' ? `-l ${o.long!.slice(2)}` : o.long!);
    }
  });

  it('bash: one function per concern, registered for the program name', () => {
    const s = bashScript(commandSpec(toy()));
    expect(s).toMatch(/^# bash completion for toy/);
    expect(s).toContain(`'alpha') echo 'beta' ;;`);
    expect(s).toContain(`'alpha beta|-o'|'alpha beta|--out') echo 'dir' ;;`);
    expect(s).toContain(`'alpha beta') echo 'file' ;;`);
    expect(s).toContain(`'gamma') echo 'command' ;;`);
    expect(s).not.toContain(`'gamma|--log'`); // an optional value does not swallow the next word
    expect(s.trimEnd().split('\n').at(-1)).toBe('complete -F _toy toy');
  });

  it('zsh: a #compdef function per command on _arguments', () => {
    const s = zshScript(commandSpec(toy()));
    expect(s.split('\n')[0]).toBe('#compdef toy');
    expect(s).toContain(`'--store=[the store'\\''s \\[location\\]]:uri: '`);
    expect(s).toContain(`'(-o --out)--out=[where]:dir:_files -/'`);
    expect(s).toContain(`'*--tag=[a tag]:k=v: '`);
    expect(s).toContain(`'2::level:(low high)'`);
    expect(s).toContain(`'*::cmd:_normal'`);
    expect(s).toContain(`'--log=-[optional value]:run: '`);
    expect(s).toContain('_toy__alpha__beta() {');
  });

  it('fish: complete lines guarded by the command path', () => {
    const s = fishScript(commandSpec(toy()));
    expect(s).toContain(`complete -c toy -n '__toy_at "alpha"' -a 'beta'`);
    expect(s).toContain(`complete -c toy -n '__toy_at "alpha beta"' -s o -l out -x -a '(__fish_complete_directories)' -d 'where'`);
    expect(s).toContain(`complete -c toy -n '__toy_at "alpha beta"' -F`); // <file>
    expect(s).toContain(`-d 'alpha\\'s command'`);
  });

  // The syntax checks run here on the toy program's awkward quoting; test/completion.test.ts runs the real scripts.
  it('bash: the toy script is valid bash', () => {
    const r = spawnSync('bash', ['-n'], { input: bashScript(commandSpec(toy())), encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it.skipIf(!has('zsh'))(`zsh: the toy script is valid zsh${has('zsh') ? '' : ' (SKIPPED: zsh is not installed)'}`, () => {
    const r = spawnSync('zsh', ['-n'], { input: zshScript(commandSpec(toy())), encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it.skipIf(!has('fish'))(`fish: the toy script is valid fish${has('fish') ? '' : ' (SKIPPED: fish is not installed)'}`, () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'mlx-fish-')), 'toy.fish');
    fs.writeFileSync(file, fishScript(commandSpec(toy())));
    const r = spawnSync('fish', ['--no-execute', file], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });
});
