// `glassmq broker`: parse flags, start the broker, log where it listens, stop cleanly on SIGINT / SIGTERM.
import { brokerHelp, FlagError } from '../config/broker-flags.js';
import { loadBrokerConfig, renderEffectiveConfig } from '../config/config-file.js'; // [security] -c FILE, --test-config
import { ConfigError, type MosquittoConfig } from '../config/mosquitto-conf.js'; // [security]
import type { Config } from '../config/config.js'; // [security]
import type { Logger } from 'pino'; // [security]
import { createSecurity, SecurityStartError } from '../server/security.js'; // [security]
import { createLogger } from '../server/logger.js';
import { createConfiguredLogger, LogConfigError, type ConfiguredLogger } from '../server/log-config.js'; // [security] log_dest, log_type
import { ListenerStartError, startServer } from '../server/start.js';
import { VERSION } from '../version.js';

const SHUTDOWN_LIMIT_MS = 5000;
const EXIT_USAGE = 2;
const EXIT_FAILURE = 1;

export async function run(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = loadBrokerConfig(argv); // [security] flags, and with -c the file under them
  } catch (err) {
    if (err instanceof FlagError) {
      console.error(`glassmq broker: ${err.message}`);
      return EXIT_USAGE;
    }
    if (err instanceof ConfigError) {
      console.error(err.message); // [security] exactly FILE:LINE: what is wrong
      return EXIT_FAILURE;
    }
    throw err;
  }
  if (parsed.help) {
    console.log(brokerHelp());
    return 0;
  }
  const config = parsed.config;
  if (config.testConfig) return testConfig(config, parsed.file, createLogger({ verbose: config.verbose })); // [security]
  // [security] log_dest / log_type: where lines go and how many (a log file that cannot open stops the start)
  let log: ConfiguredLogger;
  try {
    log = createConfiguredLogger(config);
  } catch (err) {
    if (!(err instanceof LogConfigError)) throw err;
    console.error(`glassmq broker: ${err.message}`);
    return EXIT_FAILURE;
  }
  const logger = log.logger;
  for (const note of [...(parsed.file?.notes ?? []), ...log.notes]) logger.info(`config: ${note}`); // [security] ignored / partly applied directives
  // Signals are caught from before the listeners open, so a SIGTERM right after the port accepts still shuts
  // down cleanly (it is acted on once the start has finished).
  let signalled: string | undefined;
  let onSignal = (signal: string): void => void (signalled ??= signal);
  const catchSignal = (signal: string) => () => onSignal(signal);
  process.once('SIGINT', catchSignal('SIGINT'));
  process.once('SIGTERM', catchSignal('SIGTERM'));
  // [security] SIGHUP's default action ends the process: caught from here on, acted on once running
  let onHangup = (): void => logger.info('SIGHUP received while starting: ignored');
  process.on('SIGHUP', () => onHangup());
  let running;
  try {
    running = await startServer(config, logger);
  } catch (err) {
    if (err instanceof ListenerStartError) {
      console.error(`glassmq broker: ${err.message}`);
      return EXIT_FAILURE;
    }
    if (err instanceof SecurityStartError) {
      console.error(err.message); // [security] FILE:LINE: of the password or ACL file
      return EXIT_FAILURE;
    }
    throw err;
  }
  log.attachTopic(running.broker); // [security] log_dest topic: $SYS/broker/log/<L> from now on
  logger.info(`glassmq ${VERSION} running`);
  // [transport] every flag / default listener (tcp, ws, tls, wss, unix) and the dashboard; file listeners log themselves
  const where = (running.urls ?? []).join(', ');
  if (config.defaultListeners) {
    logger.info(`no listener flag given: opened the default listeners on ${config.transport?.host ?? '127.0.0.1'} only: ${where} (--port, --ws-port, --tls-port, --wss-port, --unix, --http-port choose)`);
  } else if (where !== '') logger.info(`listening on ${where}`);
  if (config.memory) logger.info('store: memory (--memory: all state is kept in memory and lost on exit)');

  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: string): void => {
      if (stopping) return;
      stopping = true;
      logger.info(`${signal} received: shutting down`);
      const force = setTimeout(() => {
        logger.warn('shutdown took too long: exiting');
        resolve(EXIT_FAILURE);
      }, SHUTDOWN_LIMIT_MS);
      force.unref();
      running.close().then(
        () => {
          clearTimeout(force);
          logger.info('stopped');
          log.close(); // [security] log files, after the last line
          resolve(0);
        },
        (err: unknown) => {
          clearTimeout(force);
          logger.error({ err: String(err) }, 'error while stopping');
          resolve(EXIT_FAILURE);
        },
      );
    };
    onSignal = stop;
    if (signalled) stop(signalled);
    // [security] SIGHUP re-reads password, ACL and certificate files (as mosquitto)
    onHangup = () => {
      if (stopping) return;
      logger.info('SIGHUP received: reloading password, ACL and certificate files');
      running.reload();
    };
  });
}

/** [security] --test-config: the password and ACL files must load too; then the effective configuration. */
function testConfig(config: Config, file: MosquittoConfig | undefined, logger: Logger): number {
  try {
    createSecurity(config, logger);
  } catch (err) {
    if (!(err instanceof SecurityStartError)) throw err;
    console.error(err.message);
    return EXIT_FAILURE;
  }
  process.stdout.write(renderEffectiveConfig(config, file, { showSecrets: config.showSecrets }));
  return 0;
}
