/** Builds the Kafka schema tests' registry (Apicurio Registry) into its cache folder unless it is there (.ci/run runs it before the tests). */
import { fetchSchemaRegistry, schemaRegistryVersion } from '../schema-registry.ts';

const started = Date.now();
const jar = fetchSchemaRegistry();
console.log(`Apicurio Registry ${schemaRegistryVersion}: ${jar} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
