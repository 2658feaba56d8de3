"""utensor-qemu dev-platform: Arm Cortex-M boards emulated by qemu-system-arm.

The toolchain (arm-none-eabi-gcc) and QEMU come from the system PATH, so the platform has
no packages; `is_embedded()` is therefore overridden, otherwise PlatformIO derives it from
an uploader package and `pio test` would skip the upload stage.
"""

from platformio.public import PlatformBase


class UtensorqemuPlatform(PlatformBase):
    def is_embedded(self):
        return True
