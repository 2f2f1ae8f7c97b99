// QoS 1 pairs load generator in C for `bench/broker/run.ts --cluster` (cluster.ts). On a 2-core machine the load
// generator shares the cores with the two nodes it measures, so its own CPU per message bounds what two nodes can
// show against one (cluster.ts prints that bound). This one does the same as cluster.ts's Node load (pre-encoded
// PUBLISH packets, a window per publisher, PUBACKs answered per read) at a fraction of the CPU: one epoll loop,
// no allocation per message.
//
//   qos1-pairs PER_PAIR WINDOW PAYLOAD_BYTES PUBPORT:SUBPORT:TOPIC ...
// prints one line: RESULT {"messages":..,"delivered":..,"acked":..,"lost":..,"complete":0|1,"seconds":..,"rate":..,"loadCpuUsPerMsg":..}
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_PAIRS 64
#define RING 1024
#define IN_CAP (1 << 20)
#define WARMUP_SHARE 0.2
#define LIMIT_S 120.0
#define PROBE_EVERY_S 0.1

typedef struct {
  int fd;
  unsigned char *in;
  size_t len;
} Conn;

typedef struct {
  Conn pub, sub;
  const char *topic;
  unsigned char *ring[RING];
  size_t ring_len;
  unsigned char probe[512];
  size_t probe_len;
  long sent, inflight, got;
  int routed;
  unsigned char *acks; /* PUBACKs to send after a read */
  size_t acks_len;
} Pair;

static Pair pairs[MAX_PAIRS];
static int npairs;
static long per_pair, window_size, delivered, acked, warm;
static double warm_at;

static double now_s(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec / 1e9;
}

static double cpu_us(void) {
  struct rusage u;
  getrusage(RUSAGE_SELF, &u);
  return (u.ru_utime.tv_sec + u.ru_stime.tv_sec) * 1e6 + u.ru_utime.tv_usec + u.ru_stime.tv_usec;
}

static void die(const char *what) {
  fprintf(stderr, "qos1-pairs: %s: %s\n", what, strerror(errno));
  exit(1);
}

static void write_all(int fd, const unsigned char *p, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      die("write"); /* blocking sockets: a short write just loops */
    }
    p += w;
    n -= (size_t)w;
  }
}

static void read_exact(int fd, unsigned char *p, size_t n, const char *what) {
  size_t got = 0;
  while (got < n) {
    ssize_t r = read(fd, p + got, n - got);
    if (r <= 0) die(what);
    got += (size_t)r;
  }
}

static size_t put_remaining(unsigned char *p, size_t n) {
  size_t i = 0;
  do {
    unsigned char b = n % 128;
    n /= 128;
    if (n > 0) b |= 128;
    p[i++] = b;
  } while (n > 0);
  return i;
}

/* PUBLISH (3.1.1): QoS 0 (probe) or QoS 1 with packet id */
static size_t publish(unsigned char *out, const char *topic, int qos, uint16_t id, size_t payload) {
  size_t tl = strlen(topic), body = 2 + tl + (qos ? 2 : 0) + payload, i = 0;
  out[i++] = 0x30 | (qos << 1);
  i += put_remaining(out + i, body);
  out[i++] = tl >> 8;
  out[i++] = tl & 255;
  memcpy(out + i, topic, tl);
  i += tl;
  if (qos) {
    out[i++] = id >> 8;
    out[i++] = id & 255;
  }
  memset(out + i, 'x', payload);
  return i + payload;
}

static int dial(int port, const char *client_id) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) die("socket");
  struct sockaddr_in a = {0};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, (struct sockaddr *)&a, sizeof a) < 0) die("connect");
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  unsigned char p[256];
  size_t cl = strlen(client_id), i = 0;
  p[i++] = 0x10;
  i += put_remaining(p + i, 10 + 2 + cl);
  memcpy(p + i, "\0\4MQTT\4\2\0\0", 10); /* level 4, clean session, keepalive 0 */
  i += 10;
  p[i++] = cl >> 8;
  p[i++] = cl & 255;
  memcpy(p + i, client_id, cl);
  i += cl;
  write_all(fd, p, i);
  unsigned char ack[4];
  read_exact(fd, ack, 4, "read CONNACK");
  if (ack[0] != 0x20 || ack[3] != 0) { fprintf(stderr, "qos1-pairs: CONNACK refused\n"); exit(1); }
  return fd;
}

static void subscribe(int fd, const char *topic) {
  unsigned char p[512];
  size_t tl = strlen(topic), i = 0;
  p[i++] = 0x82;
  i += put_remaining(p + i, 2 + 2 + tl + 1);
  p[i++] = 0;
  p[i++] = 1;
  p[i++] = tl >> 8;
  p[i++] = tl & 255;
  memcpy(p + i, topic, tl);
  i += tl;
  p[i++] = 1;
  write_all(fd, p, i);
  unsigned char ack[5];
  read_exact(fd, ack, 5, "read SUBACK");
  if (ack[0] != 0x90 || ack[4] > 2) { fprintf(stderr, "qos1-pairs: SUBACK refused\n"); exit(1); }
}

static void pump(Pair *p) {
  static unsigned char out[RING * 256];
  size_t n = 0;
  while (p->inflight < window_size && p->sent < per_pair) {
    unsigned char *pk = p->ring[p->sent % RING];
    memcpy(out + n, pk, p->ring_len);
    n += p->ring_len;
    p->sent++;
    p->inflight++;
  }
  if (n) write_all(p->pub.fd, out, n);
}

/* Handles the complete packets in c->in; returns the bytes consumed. */
static size_t frames(Pair *p, Conn *c, int is_sub) {
  size_t off = 0;
  for (;;) {
    if (c->len - off < 2) break;
    size_t rem = 0, mul = 1, i = off + 1;
    for (;;) {
      if (i >= c->len) return off;
      unsigned char b = c->in[i++];
      rem += (b & 127) * mul;
      mul *= 128;
      if (!(b & 128)) break;
    }
    if (c->len - i < rem) break;
    unsigned char type = c->in[off] >> 4, flags = c->in[off] & 15;
    if (is_sub && type == 3) {
      p->routed = 1;
      if (flags & 6) { /* QoS 1: answer with a PUBACK of its packet id */
        size_t tl = ((size_t)c->in[i] << 8) | c->in[i + 1];
        unsigned char *a = p->acks + p->acks_len;
        a[0] = 0x40;
        a[1] = 2;
        a[2] = c->in[i + 2 + tl];
        a[3] = c->in[i + 3 + tl];
        p->acks_len += 4;
        p->got++;
        if (++delivered == warm) warm_at = now_s();
      }
    } else if (!is_sub && type == 4) {
      p->inflight--;
      acked++;
    }
    off = i + rem;
  }
  return off;
}

static int on_readable(Pair *p, Conn *c, int is_sub) {
  ssize_t r = read(c->fd, c->in + c->len, IN_CAP - c->len);
  if (r < 0) return errno == EAGAIN || errno == EINTR ? 0 : -1;
  if (r == 0) return -1;
  c->len += (size_t)r;
  size_t used = frames(p, c, is_sub);
  memmove(c->in, c->in + used, c->len - used);
  c->len -= used;
  if (is_sub && p->acks_len) {
    write_all(c->fd, p->acks, p->acks_len);
    p->acks_len = 0;
  } else if (!is_sub) pump(p);
  return 0;
}

int main(int argc, char **argv) {
  if (argc < 5) { fprintf(stderr, "usage: qos1-pairs PER_PAIR WINDOW PAYLOAD_BYTES PUBPORT:SUBPORT:TOPIC ...\n"); return 2; }
  per_pair = atol(argv[1]);
  window_size = atol(argv[2]);
  size_t payload = (size_t)atol(argv[3]);
  npairs = argc - 4;
  if (npairs > MAX_PAIRS) { fprintf(stderr, "qos1-pairs: at most %d pairs\n", MAX_PAIRS); return 2; }
  int ep = epoll_create1(0);
  for (int k = 0; k < npairs; k++) {
    Pair *p = &pairs[k];
    int pub_port, sub_port, used = 0;
    if (sscanf(argv[4 + k], "%d:%d:%n", &pub_port, &sub_port, &used) != 2 || used == 0) { fprintf(stderr, "qos1-pairs: bad pair %s\n", argv[4 + k]); return 2; }
    p->topic = argv[4 + k] + used;
    char id[64];
    snprintf(id, sizeof id, "bench-cc-sub%d-%d", k, (int)getpid());
    p->sub.fd = dial(sub_port, id);
    subscribe(p->sub.fd, p->topic);
    snprintf(id, sizeof id, "bench-cc-pub%d-%d", k, (int)getpid());
    p->pub.fd = dial(pub_port, id);
    p->sub.in = malloc(IN_CAP);
    p->pub.in = malloc(IN_CAP);
    p->acks = malloc(IN_CAP);
    for (int j = 0; j < RING; j++) {
      p->ring[j] = malloc(256 + payload);
      p->ring_len = publish(p->ring[j], p->topic, 1, (uint16_t)(j + 1), payload);
    }
    p->probe_len = publish(p->probe, p->topic, 0, 0, payload);
    struct epoll_event e = {.events = EPOLLIN, .data.u64 = (uint64_t)k * 2};
    epoll_ctl(ep, EPOLL_CTL_ADD, p->sub.fd, &e);
    e.data.u64 = (uint64_t)k * 2 + 1;
    epoll_ctl(ep, EPOLL_CTL_ADD, p->pub.fd, &e);
  }
  warm = (long)(per_pair * npairs * WARMUP_SHARE);
  struct epoll_event ev[2 * MAX_PAIRS];
  /* a cross-node route exists once the subscriber's node announced its filter: probe (QoS 0) until each pair's arrives */
  double next_probe = 0, limit = now_s() + LIMIT_S;
  for (;;) {
    int all = 1;
    for (int k = 0; k < npairs; k++) all &= pairs[k].routed;
    if (all) break;
    if (now_s() > limit) { fprintf(stderr, "qos1-pairs: no route\n"); return 1; }
    if (now_s() >= next_probe) {
      for (int k = 0; k < npairs; k++) if (!pairs[k].routed) write_all(pairs[k].pub.fd, pairs[k].probe, pairs[k].probe_len);
      next_probe = now_s() + PROBE_EVERY_S;
    }
    int n = epoll_wait(ep, ev, 2 * MAX_PAIRS, 50);
    for (int i = 0; i < n; i++) {
      Pair *p = &pairs[ev[i].data.u64 / 2];
      int is_sub = ev[i].data.u64 % 2 == 0;
      if (on_readable(p, is_sub ? &p->sub : &p->pub, is_sub) < 0) { fprintf(stderr, "qos1-pairs: connection closed\n"); return 1; }
    }
  }
  /* late probes drain, then the clock starts */
  double drain_until = now_s() + 0.3;
  while (now_s() < drain_until) {
    int n = epoll_wait(ep, ev, 2 * MAX_PAIRS, 50);
    for (int i = 0; i < n; i++) {
      Pair *p = &pairs[ev[i].data.u64 / 2];
      int is_sub = ev[i].data.u64 % 2 == 0;
      if (on_readable(p, is_sub ? &p->sub : &p->pub, is_sub) < 0) return 1;
    }
  }
  double cpu0 = cpu_us();
  for (int k = 0; k < npairs; k++) pump(&pairs[k]);
  long total = per_pair * npairs;
  int complete = 1;
  limit = now_s() + LIMIT_S;
  while (delivered < total) {
    if (now_s() > limit) { complete = 0; break; }
    int n = epoll_wait(ep, ev, 2 * MAX_PAIRS, 200);
    for (int i = 0; i < n; i++) {
      Pair *p = &pairs[ev[i].data.u64 / 2];
      int is_sub = ev[i].data.u64 % 2 == 0;
      if (on_readable(p, is_sub ? &p->sub : &p->pub, is_sub) < 0) { complete = 0; goto done; }
    }
  }
done:;
  double end = now_s(), cpu = cpu_us() - cpu0;
  double seconds = warm_at > 0 ? end - warm_at : -1;
  printf("RESULT {\"messages\":%ld,\"delivered\":%ld,\"acked\":%ld,\"lost\":%ld,\"complete\":%d,\"seconds\":%.6f,\"rate\":%.1f,\"loadCpuUsPerMsg\":%.3f}\n",
         total, delivered, acked, total - delivered, complete, seconds, seconds > 0 ? (delivered - warm) / seconds : 0.0, delivered ? cpu / delivered : 0.0);
  return 0;
}
