/** Fetches Apache Kafka's jars for the test broker into its cache folder unless they are there (.ci/run runs it before the tests). */
import { fetchKafka, kafkaVersion } from '../real-broker.ts';

const started = Date.now();
const libs = fetchKafka();
console.log(`Apache Kafka ${kafkaVersion}: ${libs} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
