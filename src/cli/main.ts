import { readFileSync } from 'node:fs';
import { UsageError, type Command } from './command.js';
import { commands } from './commands/index.js';

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

function help(list: readonly Command[]): string {
  const width = Math.max(...list.map((c) => c.name.length), 4);
  return [
    'spikeline: event-camera streaming pipeline with spiking neural networks',
    '',
    'usage: spikeline <command> [options]',
    '',
    ...list.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    `  ${'help'.padEnd(width)}  spikeline help <command> shows a command's options`,
    '',
  ].join('\n');
}

/** Runs the CLI; returns the exit code (0 ok, 1 failure, 2 usage error). */
export async function main(argv: string[], list: readonly Command[] = commands): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    const target = rest[0] && list.find((c) => c.name === rest[0]);
    process.stdout.write(target ? `${target.usage}\n` : help(list));
    return 0;
  }
  if (name === '--version' || name === 'version') {
    process.stdout.write(`${version()}\n`);
    return 0;
  }
  const command = list.find((c) => c.name === name);
  if (!command) {
    process.stderr.write(`spikeline: unknown command "${name}"\n\n${help(list)}`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(`${command.usage}\n`);
    return 0;
  }
  try {
    return await command.run(rest);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`spikeline ${name}: ${err.message}\n\n${command.usage}\n`);
      return 2;
    }
    throw err;
  }
}
