// utensor board port (utensor/port.hpp) for the Arduino framework: any board whose core
// provides `Serial`, millis() and micros() (PlatformIO `framework = arduino`). The counter is
// DWT_CYCCNT in CPU cycles where the core has one (Cortex-M3/M4/M7/M33/M55), else micros().
//
// Build-time settings: UTENSOR_ARDUINO_SERIAL (default Serial; e.g. Serial1 for a UART pin
// header), UTENSOR_ARDUINO_BAUD (default 115200, the harness host's default), and
// UTENSOR_ARDUINO_USB_WAIT_MS (default 2000: how long init waits for a USB CDC host).
#if defined(ARDUINO)

#include <Arduino.h>

#include "utensor/port.hpp"
#include "utensor/port_cortexm.hpp"

#ifndef UTENSOR_ARDUINO_SERIAL
#define UTENSOR_ARDUINO_SERIAL Serial
#endif
#ifndef UTENSOR_ARDUINO_BAUD
#define UTENSOR_ARDUINO_BAUD 115200
#endif
#ifndef UTENSOR_ARDUINO_USB_WAIT_MS
#define UTENSOR_ARDUINO_USB_WAIT_MS 2000
#endif

namespace {
bool g_started = false;
bool g_dwt = false;
}  // namespace

extern "C" {

// Opens the serial port and starts the cycle counter; later calls do nothing.
void utensor_port_init(void) {
  if (g_started) return;
  g_started = true;
  UTENSOR_ARDUINO_SERIAL.begin(UTENSOR_ARDUINO_BAUD);
  // USB CDC ports report false until the host opens them; bytes sent before are lost.
  // Bounded, so a board on a plain UART (always true) or without a host still starts.
  const unsigned long t0 = millis();
  while (!UTENSOR_ARDUINO_SERIAL && millis() - t0 < UTENSOR_ARDUINO_USB_WAIT_MS) {
  }
  g_dwt = utensor_cortexm_cycle_counter_start() != 0;
}

// Queues all bytes and waits until they have left (harness replies must not sit in a buffer).
void utensor_port_write(const uint8_t* data, size_t n) {
  UTENSOR_ARDUINO_SERIAL.write(data, n);
  UTENSOR_ARDUINO_SERIAL.flush();
}

// Polls Serial until a byte arrives or timeout_ms pass (millis(), wrap-safe subtraction).
int utensor_port_read_byte(uint32_t timeout_ms) {
  const unsigned long t0 = millis();
  for (;;) {
    if (UTENSOR_ARDUINO_SERIAL.available() > 0) return UTENSOR_ARDUINO_SERIAL.read() & 0xFF;
    if (timeout_ms != UTENSOR_PORT_WAIT_FOREVER &&
        static_cast<uint32_t>(millis() - t0) >= timeout_ms) {
      return -1;
    }
    yield();  // lets cores with background tasks (USB, Wi-Fi) run
  }
}

// CPU cycles (DWT_CYCCNT) when available, else microseconds.
uint32_t utensor_port_cycles(void) {
  return g_dwt ? utensor_cortexm_cycles() : static_cast<uint32_t>(micros());
}

// "cycles" or "microseconds", matching utensor_port_cycles().
const char* utensor_port_counter_unit(void) { return g_dwt ? "cycles" : "microseconds"; }

// Silicon has nowhere to exit to: drain the port and idle (the host saw BYE's reply).
void utensor_port_exit(int code) {
  (void)code;
  UTENSOR_ARDUINO_SERIAL.flush();
  for (;;) {
    yield();
  }
}

}  // extern "C"

#endif  // defined(ARDUINO)
