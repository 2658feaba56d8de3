// Exercises runtime/src/port/arduino.cpp on the host against the fake core in Arduino.h
// (driven by test/test_port_arduino.py). Modes:
//   unit   checks init, read timeouts, the counter, write; prints "ok" lines, exits 0
//   serve  feeds stdin to Serial, runs utensor::harness::serve() until BYE; the port's
//          exit idles in yield(), which ends the process writing Serial's output to stdout
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "Arduino.h"
#include "utensor/harness.hpp"
#include "utensor/port.hpp"

FakeSerial Serial;

namespace {
unsigned long g_ms = 0;
unsigned long g_yields = 0;
bool g_serving = false;

#define CHECK(cond)                                                   \
  do {                                                                \
    if (!(cond)) {                                                    \
      fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
      exit(1);                                                        \
    }                                                                 \
  } while (0)
}  // namespace

unsigned long millis() { return ++g_ms; }
unsigned long micros() { return g_ms * 1000u + 7u; }
void yield() {
  // The port idles in yield() after exit; in serve mode that is the end of the run.
  if (++g_yields > 100000 && g_serving) {
    fwrite(Serial.tx, 1, Serial.tx_len, stdout);
    fflush(stdout);
    _exit(Serial.flushes > 0 ? 0 : 5);
  }
}

void FakeSerial::begin(unsigned long b) { baud = b; }
int FakeSerial::available() { return static_cast<int>(rx_len - rx_pos); }
int FakeSerial::read() { return rx_pos < rx_len ? rx[rx_pos++] : -1; }
size_t FakeSerial::write(const uint8_t* data, size_t n) {
  if (tx_len + n > sizeof tx) n = sizeof tx - tx_len;
  memcpy(tx + tx_len, data, n);
  tx_len += n;
  return n;
}
void FakeSerial::flush() { ++flushes; }
FakeSerial::operator bool() const { return g_ms >= ready_at_ms; }

int main(int argc, char** argv) {
  if (argc == 2 && strcmp(argv[1], "unit") == 0) {
    Serial.ready_at_ms = 300;  // the USB host opens the port 300 ms after reset
    utensor_port_init();
    CHECK(Serial.baud == 115200);
    CHECK(g_ms >= 300 && g_ms < 400);  // waited for the host, not for the 2 s limit
    utensor_port_init();               // idempotent
    CHECK(g_ms < 400);
    printf("ok init\n");

    unsigned long t0 = g_ms;
    CHECK(utensor_port_read_byte(50) == -1);
    CHECK(g_ms - t0 >= 50 && g_ms - t0 <= 52);
    Serial.rx[0] = 0xA5;
    Serial.rx[1] = 0x00;
    Serial.rx_len = 2;
    CHECK(utensor_port_read_byte(50) == 0xA5);
    CHECK(utensor_port_read_byte(UTENSOR_PORT_WAIT_FOREVER) == 0x00);
    printf("ok read\n");

    const uint8_t msg[3] = {1, 2, 3};
    int flushes = Serial.flushes;
    utensor_port_write(msg, 3);
    CHECK(Serial.tx_len == 3 && memcmp(Serial.tx, msg, 3) == 0 && Serial.flushes == flushes + 1);
    printf("ok write\n");

    // No DWT off Arm: the counter is micros().
    CHECK(strcmp(utensor_port_counter_unit(), "microseconds") == 0);
    uint32_t a = utensor_port_cycles();
    uint32_t b = utensor_port_cycles();
    CHECK(a == g_ms * 1000u + 7u && b == a);
    printf("ok counter %s\n", utensor_port_counter_unit());
    return 0;
  }
  if (argc == 2 && strcmp(argv[1], "serve") == 0) {
    Serial.rx_len = fread(Serial.rx, 1, sizeof Serial.rx, stdin);
    g_serving = true;
    utensor::harness::serve();
    return 3;  // serve() only returns where utensor_port_exit() does: not on silicon
  }
  return 2;
}
