/*
 * A Kafka test broker: librdkafka's mock cluster (a real Kafka wire-protocol broker in memory)
 * behind a line protocol on stdin, so tests can create topics and inject faults.
 *
 *   mock-broker <brokers>
 *
 * Prints "bootstrap <host:port,…>" once the cluster listens, then answers each command line with
 * "ok" or "error <text>":
 *
 *   create topic <name> <partitions> <replication>
 *   broker down <id> | broker up <id>          (ids are 1..brokers; -1 = all)
 *   broker rtt <id> <ms>                        (delay every response of a broker)
 *   errors <api-key> <error-code>…              (the next requests of that kind fail, in order)
 *   leader <topic> <partition> <broker-id>
 *   quit                                        (or EOF: the cluster is destroyed, exit 0)
 *
 * Built by test/kafka/mock-broker.ts: cc mock-broker.c -lrdkafka.
 */
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LINE_MAX_BYTES 4096
#define ERRORS_MAX 64

static void reply(rd_kafka_resp_err_t err) {
  if (err == RD_KAFKA_RESP_ERR_NO_ERROR) printf("ok\n");
  else printf("error %s\n", rd_kafka_err2str(err));
  fflush(stdout);
}

static void fail(const char *text) {
  printf("error %s\n", text);
  fflush(stdout);
}

int main(int argc, char **argv) {
  int brokers = argc > 1 ? atoi(argv[1]) : 1;
  if (brokers < 1 || brokers > 16) {
    fprintf(stderr, "mock-broker: brokers must be 1..16\n");
    return 2;
  }
  char errstr[512];
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  /* The handle only does the cluster's bookkeeping; keep its own logging quiet. */
  rd_kafka_conf_set(conf, "log_level", "3", errstr, sizeof errstr);
  rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
  if (rk == NULL) {
    fprintf(stderr, "mock-broker: rd_kafka_new: %s\n", errstr);
    return 1;
  }
  rd_kafka_mock_cluster_t *mc = rd_kafka_mock_cluster_new(rk, brokers);
  if (mc == NULL) {
    fprintf(stderr, "mock-broker: rd_kafka_mock_cluster_new failed\n");
    return 1;
  }
  printf("bootstrap %s\n", rd_kafka_mock_cluster_bootstraps(mc));
  fflush(stdout);

  char line[LINE_MAX_BYTES];
  while (fgets(line, sizeof line, stdin) != NULL) {
    char a[256] = "", b[256] = "", c[256] = "";
    long x = 0, y = 0, z = 0;
    if (sscanf(line, "create topic %255s %ld %ld", a, &x, &y) == 3) {
      reply(rd_kafka_mock_topic_create(mc, a, (int)x, (int)y));
    } else if (sscanf(line, "broker %255s %ld %ld", b, &x, &y) >= 2) {
      if (strcmp(b, "down") == 0) reply(rd_kafka_mock_broker_set_down(mc, (int32_t)x));
      else if (strcmp(b, "up") == 0) reply(rd_kafka_mock_broker_set_up(mc, (int32_t)x));
      else if (strcmp(b, "rtt") == 0) reply(rd_kafka_mock_broker_set_rtt(mc, (int32_t)x, (int)y));
      else fail("unknown broker command");
    } else if (sscanf(line, "leader %255s %ld %ld", c, &x, &z) == 3) {
      reply(rd_kafka_mock_partition_set_leader(mc, c, (int32_t)x, (int32_t)z));
    } else if (strncmp(line, "errors ", 7) == 0) {
      char *p = line + 7, *end;
      long api = strtol(p, &end, 10);
      int api_ok = end != p;
      rd_kafka_resp_err_t codes[ERRORS_MAX];
      size_t n = 0;
      for (p = end; n < ERRORS_MAX; p = end) {
        long code = strtol(p, &end, 10);
        if (end == p) break;
        codes[n++] = (rd_kafka_resp_err_t)code;
      }
      if (!api_ok || n == 0) fail("usage: errors <api-key> <error-code>...");
      else {
        rd_kafka_mock_push_request_errors_array(mc, (int16_t)api, n, codes);
        reply(RD_KAFKA_RESP_ERR_NO_ERROR);
      }
    } else if (strncmp(line, "quit", 4) == 0) {
      break;
    } else {
      fail("unknown command");
    }
  }
  rd_kafka_mock_cluster_destroy(mc);
  rd_kafka_destroy(rk);
  return 0;
}
