/* smtp-load: the benchmark's SMTP load generator. Like Postfix's smtp-source (one message per
 * connection, N sessions at once, commands one at a time: EHLO, MAIL, RCPT, DATA, QUIT), plus
 * what smtp-source lacks: a PROXY v1 header claiming a client address (so a relay behind a
 * trusted proxy listener checks SPF for a real, non-local client), a paced rate, and the
 * latency of each message from the end of DATA (the final ".") to the reply.
 *   smtp-load -s SESSIONS -m COUNT -F FILE -f FROM -t TO [-P A.B.C] [-r RATE] HOST:PORT
 * -P A.B.C claims A.B.C.1 ... A.B.C.250 in turn. Prints one line of key=value figures.
 * Loopback targets only. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static const char* g_from = "sender@origin.example";
static const char* g_to = "user@hikyaku.bench";
static const char* g_proxy = NULL;
static char* g_body;  /* CRLF, dot-stuffed, ending in ".\r\n" */
static size_t g_body_len;
static long g_count = 1000;
static double g_rate = 0;  /* messages per second; 0: as fast as the sessions go */
static struct sockaddr_in g_addr;
static atomic_long g_next;
static atomic_long g_ok, g_failed;
static double* g_eod_ms;   /* end of DATA -> reply, per message (ok ones) */
static double* g_conn_ms;  /* connect -> reply to the final "." */
static atomic_long g_nlat;
static double g_t0;
static pthread_mutex_t g_err_lock = PTHREAD_MUTEX_INITIALIZER;
static int g_errors_shown;

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

struct conn {
  int fd;
  char buf[4096];
  size_t len;
};

static int send_all(int fd, const char* p, size_t n) {
  while (n > 0) {
    ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
    if (w < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

/* Reads one reply (all its lines); returns its code, or -1. The last line is left in `last`. */
static int read_reply(struct conn* c, char* last, size_t last_size) {
  for (;;) {
    char* eol;
    while ((eol = memchr(c->buf, '\n', c->len)) != NULL) {
      size_t line_len = (size_t)(eol - c->buf) + 1;
      int final = line_len >= 4 && c->buf[3] != '-';
      int code = line_len >= 3 ? atoi(c->buf) : -1;
      if (final && last) {
        size_t n = line_len < last_size - 1 ? line_len : last_size - 1;
        memcpy(last, c->buf, n);
        last[n] = 0;
      }
      memmove(c->buf, c->buf + line_len, c->len - line_len);
      c->len -= line_len;
      if (final) return code;
    }
    if (c->len == sizeof c->buf) return -1;
    ssize_t r = recv(c->fd, c->buf + c->len, sizeof c->buf - c->len, 0);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return -1;
    c->len += (size_t)r;
  }
}

static void fail(const char* what, const char* reply) {
  atomic_fetch_add(&g_failed, 1);
  pthread_mutex_lock(&g_err_lock);
  if (g_errors_shown++ < 5) fprintf(stderr, "smtp-load: %s: %s\n", what, reply[0] ? reply : "(no reply)");
  pthread_mutex_unlock(&g_err_lock);
}

static int command(struct conn* c, const char* line, int want, char* last, size_t last_size) {
  if (line && send_all(c->fd, line, strlen(line)) < 0) return -1;
  int code = read_reply(c, last, last_size);
  return code / 100 == want / 100 ? 0 : -1;
}

static void one_message(long n) {
  char last[512] = "", line[600];
  struct conn c = {.fd = -1, .len = 0};
  double start = now();
  c.fd = socket(AF_INET, SOCK_STREAM, 0);
  if (c.fd < 0 || connect(c.fd, (struct sockaddr*)&g_addr, sizeof g_addr) < 0) {
    fail("connect", strerror(errno));
    if (c.fd >= 0) close(c.fd);
    return;
  }
  int one = 1;
  setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (g_proxy) {
    snprintf(line, sizeof line, "PROXY TCP4 %s.%ld 127.0.0.1 40000 25\r\n", g_proxy, 1 + n % 250);
    if (send_all(c.fd, line, strlen(line)) < 0) goto broken;
  }
  if (command(&c, NULL, 220, last, sizeof last) < 0) { fail("greeting", last); goto out; }
  if (command(&c, "EHLO load.bench.test\r\n", 250, last, sizeof last) < 0) { fail("EHLO", last); goto out; }
  snprintf(line, sizeof line, "MAIL FROM:<%s>\r\n", g_from);
  if (command(&c, line, 250, last, sizeof last) < 0) { fail("MAIL", last); goto out; }
  snprintf(line, sizeof line, "RCPT TO:<%s>\r\n", g_to);
  if (command(&c, line, 250, last, sizeof last) < 0) { fail("RCPT", last); goto out; }
  if (command(&c, "DATA\r\n", 354, last, sizeof last) < 0) { fail("DATA", last); goto out; }
  if (send_all(c.fd, g_body, g_body_len) < 0) goto broken;
  double eod = now();
  if (command(&c, NULL, 250, last, sizeof last) < 0) { fail("end of data", last); goto out; }
  double done = now();
  atomic_fetch_add(&g_ok, 1);
  long i = atomic_fetch_add(&g_nlat, 1);
  g_eod_ms[i] = (done - eod) * 1000;
  g_conn_ms[i] = (done - start) * 1000;
  command(&c, "QUIT\r\n", 221, NULL, 0);
  goto out;
broken:
  fail("send", strerror(errno));
out:
  close(c.fd);
}

static void* session(void* arg) {
  (void)arg;
  for (;;) {
    long n = atomic_fetch_add(&g_next, 1);
    if (n >= g_count) return NULL;
    if (g_rate > 0) {
      double due = g_t0 + n / g_rate, wait = due - now();
      if (wait > 0) {
        struct timespec ts = {(time_t)wait, (long)((wait - (time_t)wait) * 1e9)};
        nanosleep(&ts, NULL);
      }
    }
    one_message(n);
  }
}

static int by_value(const void* a, const void* b) {
  double x = *(const double*)a, y = *(const double*)b;
  return x < y ? -1 : x > y;
}

static double pct(const double* v, long n, double q) {
  if (n == 0) return 0;
  long i = (long)(q * n);
  return v[i < n ? i : n - 1];
}

/* The message file as it goes on the wire: LF or CRLF lines to CRLF, leading dots doubled. */
static void load_body(const char* path) {
  FILE* f = fopen(path, "rb");
  if (!f) { perror(path); exit(2); }
  fseek(f, 0, SEEK_END);
  long size = ftell(f);
  rewind(f);
  char* raw = malloc((size_t)size + 1);
  if (fread(raw, 1, (size_t)size, f) != (size_t)size) { perror(path); exit(2); }
  fclose(f);
  g_body = malloc((size_t)size * 2 + 8);
  size_t o = 0;
  int bol = 1;
  for (long i = 0; i < size; i++) {
    char ch = raw[i];
    if (ch == '\r') continue;
    if (bol && ch == '.') g_body[o++] = '.';
    if (ch == '\n') g_body[o++] = '\r';
    g_body[o++] = ch;
    bol = ch == '\n';
  }
  if (!bol) { g_body[o++] = '\r'; g_body[o++] = '\n'; }
  memcpy(g_body + o, ".\r\n", 3);
  g_body_len = o + 3;
  free(raw);
}

int main(int argc, char** argv) {
  int sessions = 20, opt;
  const char* file = NULL;
  while ((opt = getopt(argc, argv, "s:m:F:f:t:P:r:")) != -1) {
    switch (opt) {
      case 's': sessions = atoi(optarg); break;
      case 'm': g_count = atol(optarg); break;
      case 'F': file = optarg; break;
      case 'f': g_from = optarg; break;
      case 't': g_to = optarg; break;
      case 'P': g_proxy = optarg; break;
      case 'r': g_rate = atof(optarg); break;
      default:
        fprintf(stderr, "usage: smtp-load -s SESSIONS -m COUNT -F FILE [-f FROM] [-t TO] [-P A.B.C] [-r RATE] HOST:PORT\n");
        return 2;
    }
  }
  if (optind != argc - 1 || !file || sessions < 1 || g_count < 1) {
    fprintf(stderr, "smtp-load: need -F FILE and HOST:PORT\n");
    return 2;
  }
  char host[64];
  const char* colon = strrchr(argv[optind], ':');
  if (!colon || (size_t)(colon - argv[optind]) >= sizeof host) { fprintf(stderr, "smtp-load: HOST:PORT\n"); return 2; }
  memcpy(host, argv[optind], (size_t)(colon - argv[optind]));
  host[colon - argv[optind]] = 0;
  g_addr.sin_family = AF_INET;
  g_addr.sin_port = htons((uint16_t)atoi(colon + 1));
  if (inet_pton(AF_INET, host, &g_addr.sin_addr) != 1 || (ntohl(g_addr.sin_addr.s_addr) >> 24) != 127) {
    fprintf(stderr, "smtp-load: %s is not a loopback address\n", host);
    return 2;
  }
  load_body(file);
  g_eod_ms = calloc((size_t)g_count, sizeof(double));
  g_conn_ms = calloc((size_t)g_count, sizeof(double));
  pthread_t* threads = calloc((size_t)sessions, sizeof(pthread_t));
  g_t0 = now();
  for (int i = 0; i < sessions; i++) pthread_create(&threads[i], NULL, session, NULL);
  for (int i = 0; i < sessions; i++) pthread_join(threads[i], NULL);
  double wall = now() - g_t0;
  long n = atomic_load(&g_nlat);
  qsort(g_eod_ms, (size_t)n, sizeof(double), by_value);
  qsort(g_conn_ms, (size_t)n, sizeof(double), by_value);
  printf("count=%ld ok=%ld failed=%ld wall_s=%.3f msg_per_s=%.1f eod_p50_ms=%.2f eod_p90_ms=%.2f "
         "eod_p99_ms=%.2f eod_max_ms=%.2f session_p50_ms=%.2f session_p99_ms=%.2f size=%zu\n",
         g_count, atomic_load(&g_ok), atomic_load(&g_failed), wall, atomic_load(&g_ok) / wall,
         pct(g_eod_ms, n, 0.5), pct(g_eod_ms, n, 0.9), pct(g_eod_ms, n, 0.99), n ? g_eod_ms[n - 1] : 0,
         pct(g_conn_ms, n, 0.5), pct(g_conn_ms, n, 0.99), g_body_len);
  return atomic_load(&g_failed) == 0 ? 0 : 1;
}
