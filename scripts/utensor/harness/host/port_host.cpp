// A board port for the host: the "UART" is one TCP connection on 127.0.0.1, so the
// harness firmware compiled for the host is driven exactly like QEMU's serial socket
// (`socket://127.0.0.1:PORT`). For tests and host-side debugging only (POSIX).
//
// UTENSOR_HOST_PORT selects the TCP port (default 0: any free port). The chosen port is
// printed to stdout as "utensor-host-port PORT" before the firmware waits for its client.

#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "utensor/port.hpp"

namespace {
int g_conn = -1;

void die(const char* what) {
  fprintf(stderr, "port_host: %s: %s\n", what, strerror(errno));
  exit(2);
}
}  // namespace

extern "C" {

// Listens, announces the port, accepts one client; exits the process on failure.
void utensor_port_init(void) {
  int srv = socket(AF_INET, SOCK_STREAM, 0);
  if (srv < 0) die("socket");
  int one = 1;
  setsockopt(srv, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr;
  memset(&addr, 0, sizeof addr);
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const char* env = getenv("UTENSOR_HOST_PORT");
  addr.sin_port = htons(static_cast<uint16_t>(env ? atoi(env) : 0));
  if (bind(srv, reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0) die("bind");
  if (listen(srv, 1) < 0) die("listen");
  socklen_t len = sizeof addr;
  if (getsockname(srv, reinterpret_cast<sockaddr*>(&addr), &len) < 0) die("getsockname");
  printf("utensor-host-port %d\n", ntohs(addr.sin_port));
  fflush(stdout);
  g_conn = accept(srv, 0, 0);
  if (g_conn < 0) die("accept");
  close(srv);
}

// Writes all bytes; a vanished client ends the process (nothing left to serve).
void utensor_port_write(const uint8_t* data, size_t n) {
  while (n > 0) {
    ssize_t k = send(g_conn, data, n, MSG_NOSIGNAL);
    if (k <= 0) exit(3);
    data += k;
    n -= static_cast<size_t>(k);
  }
}

// One byte, or -1 after `timeout_ms` without one; exits when the client disconnects.
int utensor_port_read_byte(uint32_t timeout_ms) {
  pollfd p;
  p.fd = g_conn;
  p.events = POLLIN;
  p.revents = 0;
  int r = poll(&p, 1, timeout_ms == UTENSOR_PORT_WAIT_FOREVER ? -1 : static_cast<int>(timeout_ms));
  if (r == 0) return -1;
  if (r < 0) return errno == EINTR ? -1 : (die("poll"), -1);
  uint8_t b;
  ssize_t k = recv(g_conn, &b, 1, 0);
  if (k <= 0) exit(3);
  return b;
}

// Wall-clock nanoseconds, truncated: the host has no deterministic instruction count.
uint32_t utensor_port_cycles(void) {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint32_t>(static_cast<uint64_t>(ts.tv_sec) * 1000000000u + ts.tv_nsec);
}

const char* utensor_port_counter_unit(void) { return "nanoseconds"; }

void utensor_port_exit(int code) {
  if (g_conn >= 0) close(g_conn);
  exit(code);
}

}  // extern "C"
