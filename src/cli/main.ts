import { createRequire } from 'node:module';

// `mlx --version` answers before anything else loads: start-up time is a feature.
const argv = process.argv.slice(2);
if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-V')) {
  const pkg = createRequire(import.meta.url)('../../package.json') as { version: string };
  process.stdout.write(`${pkg.version}\n`);
} else {
  const { runCli } = await import('./program.js');
  process.exitCode = await runCli(process.argv);
}
