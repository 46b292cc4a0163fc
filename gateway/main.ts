import '../lib/instrument';
import { disableApolloTelemetry } from '../lib/config';
import { createLogger } from '../lib/logger';
import { runMain, stopOnSignals } from '../lib/entry-point';
import { readGatewayConfig } from './gateway.config';
import { startGateway } from './gateway.server';
import { startTracing } from '../lib/tracing';

async function main(): Promise<void> {
  disableApolloTelemetry();
  const config = readGatewayConfig();
  const tracing = startTracing('gateway');
  const logger = createLogger('gateway', config.logLevel);
  const running = await startGateway(config, logger);
  logger.info({ url: `${running.url}/graphql`, subgraphs: config.subgraphUrls }, 'gateway ready');
  stopOnSignals(logger, async () => {
    await running.shutdown();
    await tracing.shutdown();
  });
}

runMain(main);
