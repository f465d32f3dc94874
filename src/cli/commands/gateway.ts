import { numberOption, parseCommandArgs, PORT, UsageError, type Command } from '../command.js';
import { Gateway } from '../../server/gateway.js';
import { printUrls } from './run.js';

const usage = `usage: spikeline gateway nats://HOST:PORT [--port N] [--host ADDR] [--token-env NAME] [--subject S] [--nats-token-env NAME]

Serves a whole line of cameras from the bus: subscribes to the messages every bus worker
publishes per camera (S.prediction.CAMERA, S.status.CAMERA, ...) and serves the dashboard
(with a camera picker), /ws (every message with a "camera" field) and /metrics (every series
labelled by camera). Stops on SIGINT / SIGTERM.

  --port N              HTTP port (default 8080; 0 = any free port)
  --host ADDR           bind address (default 127.0.0.1; others need --token-env)
  --token-env NAME      environment variable holding the token /ws and /metrics require
  --subject S           subject prefix the workers publish under (default spikeline)
  --nats-token-env NAME environment variable holding the NATS token`;

function tokenOf(option: string, env: string | undefined): string | undefined {
  if (!env) return undefined;
  const v = process.env[env];
  if (!v) throw new UsageError(`--${option}: environment variable ${env} is not set`);
  return v;
}

export const gatewayCommand: Command = {
  name: 'gateway',
  summary: "serve every camera of a line from NATS: dashboard with camera picker, /ws, /metrics by camera",
  usage,
  async run(argv) {
    const { values, positionals } = parseCommandArgs(argv, {
      port: { type: 'string' },
      host: { type: 'string' },
      'token-env': { type: 'string' },
      subject: { type: 'string' },
      'nats-token-env': { type: 'string' },
    }, 1);
    if (positionals.length !== 1) throw new UsageError(`expected one nats://HOST:PORT, got ${positionals.length}`);
    const url = positionals[0]!;
    if (!/^nats:\/\/\S+$/.test(url)) throw new UsageError(`the bus must be a URL like nats://127.0.0.1:4222, got "${url}"`);
    if (values.subject !== undefined && !/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/.test(values.subject)) throw new UsageError(`--subject must be a NATS subject like spikeline, got "${values.subject}"`);
    const token = tokenOf('token-env', values['token-env']);
    const natsToken = tokenOf('nats-token-env', values['nats-token-env']);
    const log = (line: string) => process.stderr.write(`spikeline gateway: ${line}\n`);
    const gateway = new Gateway({
      url,
      port: numberOption('port', values.port, PORT, 8080),
      ...(values.host ? { host: values.host } : {}),
      ...(values.subject ? { subject: values.subject } : {}),
      ...(token ? { token } : {}),
      ...(natsToken ? { natsToken } : {}),
      log,
    });
    await gateway.start();
    printUrls(gateway.url);
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    await gateway.stop();
    log('stopped');
    return 0;
  },
};
