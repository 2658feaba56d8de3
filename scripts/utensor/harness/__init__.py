"""The serial harness: run generated models on a board (real or QEMU) from the host.

protocol.py: framing and messages (pure); client.py: `HarnessClient`; firmware.py: builds
the generic harness firmware with PlatformIO; backends.py: flashing (QEMU or a real board).
"""
