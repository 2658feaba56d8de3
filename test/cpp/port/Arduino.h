// A minimal stand-in for an Arduino core's Arduino.h, enough to compile and exercise
// runtime/src/port/arduino.cpp on the host (test/test_port_arduino.py). Time is simulated:
// every millis() call advances the clock by one millisecond, so timeouts end quickly and
// deterministically. Only the members the port uses exist.
#ifndef UTENSOR_TEST_FAKE_ARDUINO_H
#define UTENSOR_TEST_FAKE_ARDUINO_H

#include <stddef.h>
#include <stdint.h>

unsigned long millis();
unsigned long micros();
void yield();

class FakeSerial {
 public:
  void begin(unsigned long baud);
  int available();
  int read();
  size_t write(const uint8_t* data, size_t n);
  void flush();
  // False until `ready_at_ms` of simulated time, like a USB CDC port no host opened yet.
  explicit operator bool() const;

  // Test side.
  unsigned long baud = 0;
  unsigned long ready_at_ms = 0;
  int flushes = 0;
  uint8_t rx[4096];
  size_t rx_len = 0;
  size_t rx_pos = 0;
  uint8_t tx[65536];
  size_t tx_len = 0;
};

extern FakeSerial Serial;

#endif  // UTENSOR_TEST_FAKE_ARDUINO_H
