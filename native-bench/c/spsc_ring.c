// The native baseline for weir's channel: a single-producer/single-consumer ring of 8-byte-aligned
// frames (8-byte header + 8-byte payload, as weir's small frames) between two pthreads, batches of
// 512 frames per publish, a 1 MiB ring, C11 release/acquire on head and tail. Waiting spins with a
// pause, then yields. Prints {"frames":N,"seconds":S,"framesPerSec":R,"checksum":C} on stdout.
#include <immintrin.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CAPACITY (1u << 20)
#define FRAME 16u
#define BATCH 512u

static _Alignas(64) _Atomic uint64_t head;
static _Alignas(64) _Atomic uint64_t tail;
static _Alignas(64) unsigned char data[CAPACITY];
static uint64_t frames;
static uint64_t consumer_sum;

static void wait_a_little(unsigned *spins) {
  if (++*spins < 200) _mm_pause();
  else { sched_yield(); *spins = 0; }
}

static void *producer(void *arg) {
  (void)arg;
  uint64_t h = 0;
  for (uint64_t i = 0; i < frames;) {
    uint64_t n = frames - i < BATCH ? frames - i : BATCH;
    unsigned spins = 0;
    while (h + n * FRAME - atomic_load_explicit(&tail, memory_order_acquire) > CAPACITY) wait_a_little(&spins);
    for (uint64_t k = 0; k < n; k++, i++) {
      unsigned char *f = data + (h % CAPACITY);
      uint32_t header[2] = {(1u << 24) | 8u, 0};
      memcpy(f, header, 8);
      memcpy(f + 8, &i, 8);
      h += FRAME;
    }
    atomic_store_explicit(&head, h, memory_order_release); // publish the batch
  }
  return NULL;
}

static void *consumer(void *arg) {
  (void)arg;
  uint64_t t = 0, sum = 0, seen = 0;
  while (seen < frames) {
    uint64_t h;
    unsigned spins = 0;
    while ((h = atomic_load_explicit(&head, memory_order_acquire)) == t) wait_a_little(&spins);
    for (; t < h; t += FRAME, seen++) {
      uint64_t v;
      memcpy(&v, data + (t % CAPACITY) + 8, 8);
      sum += v;
    }
    atomic_store_explicit(&tail, t, memory_order_release); // give the space back
  }
  consumer_sum = sum;
  return NULL;
}

int main(int argc, char **argv) {
  frames = argc > 1 ? strtoull(argv[1], NULL, 10) : 20000000ull;
  struct timespec a, b;
  pthread_t p, c;
  clock_gettime(CLOCK_MONOTONIC, &a);
  pthread_create(&c, NULL, consumer, NULL);
  pthread_create(&p, NULL, producer, NULL);
  pthread_join(p, NULL);
  pthread_join(c, NULL);
  clock_gettime(CLOCK_MONOTONIC, &b);
  double seconds = (b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9;
  uint64_t expected = frames * (frames - 1) / 2;
  printf("{\"frames\":%llu,\"seconds\":%.6f,\"framesPerSec\":%.0f,\"checksum\":%llu,\"checksumOk\":%s}\n", (unsigned long long)frames, seconds, frames / seconds,
         (unsigned long long)consumer_sum, consumer_sum == expected ? "true" : "false");
  return consumer_sum == expected ? 0 : 1;
}
