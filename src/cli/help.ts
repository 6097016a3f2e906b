/**
 * The `Example:` / `Examples:` section every command adds after its --help, in one format:
 * two-space indent, one copy-pasteable invocation a line, trailing `# comments` aligned, then
 * optional notes flush left. Use it as `cmd.addHelpText('after', examples([...]))`.
 * src/cli/help.test.ts parses every `mlx …` line against the real program, so an example that
 * stops matching its command's flags fails the tests.
 */
export function examples(lines: string[], ...notes: string[]): string {
  const split = lines.map((l) => {
    const i = l.indexOf('  # ');
    return i < 0 ? { code: l, comment: '' } : { code: l.slice(0, i).trimEnd(), comment: l.slice(i).trim() };
  });
  // Align comments only among the shorter lines: a very long invocation keeps its comment close.
  const width = Math.max(0, ...split.filter((s) => s.comment && s.code.length <= 64).map((s) => s.code.length));
  const body = split.map(({ code, comment }) => `  ${comment ? `${code.padEnd(width)}  ${comment}` : code}`);
  return `\n${lines.length === 1 ? 'Example' : 'Examples'}:\n${body.join('\n')}${notes.length ? `\n${notes.join('\n')}` : ''}`;
}
