/**
 * `npm run kafka:broker`: a local single-node Apache Kafka (KRaft) on 127.0.0.1:9092 for running
 * weir jobs against, until Ctrl-C. The same broker the tests start (test/kafka/real-broker.ts):
 * fetched once with Maven into ~/.cache/weir (or $WEIR_KAFKA_HOME), its data in a temp dir that
 * is removed when it stops. WEIR_KAFKA_PORT picks another port.
 */
import { kafkaHome, kafkaVersion, startKafkaBroker } from '../real-broker.ts';

const port = Number(process.env.WEIR_KAFKA_PORT ?? 9092);
console.log(`starting Apache Kafka ${kafkaVersion} (from ${kafkaHome()}) …`);
const broker = await startKafkaBroker({ port, controllerPort: port + 1 });
console.log(`Kafka is up: brokers ['${broker.bootstrap[0]}']; its log: ${broker.logFile}. Ctrl-C stops it.`);
let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  console.log('stopping Kafka …');
  await broker.destroy();
  process.exit(0);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
setInterval(() => {}, 1 << 30); // keeps the process (the broker's owner) alive until a signal
