"""C++ names derived from model files and tensor names."""

import os
import re

_CPP_KEYWORDS = {
    "alignas", "alignof", "and", "asm", "auto", "bool", "break", "case", "catch", "char",
    "class", "const", "continue", "default", "delete", "do", "double", "else", "enum",
    "explicit", "export", "extern", "false", "float", "for", "friend", "goto", "if",
    "inline", "int", "long", "namespace", "new", "not", "operator", "or", "private",
    "protected", "public", "register", "return", "short", "signed", "sizeof", "static",
    "struct", "switch", "template", "this", "throw", "true", "try", "typedef", "typename",
    "union", "unsigned", "using", "virtual", "void", "volatile", "while", "main",
}


def identifier(text: str, prefix: str = "m_") -> str:
    """A valid, non-reserved C++ identifier resembling `text`."""
    name = re.sub(r"[^0-9A-Za-z_]", "_", text)
    name = re.sub(r"_+", "_", name).strip("_") or "model"
    if name[0].isdigit() or name in _CPP_KEYWORDS:
        name = prefix + name
    return name


def model_name_from_path(path: str) -> str:
    base = os.path.basename(os.path.normpath(path))
    for ext in (".tflite", ".keras", ".h5"):
        if base.lower().endswith(ext):
            base = base[: -len(ext)]
            break
    return identifier(base)


def class_name(model_name: str) -> str:
    """ad01_int8 -> Ad01Int8 (the generated model class)."""
    parts = [p for p in model_name.split("_") if p]
    name = "".join(p[:1].upper() + p[1:] for p in parts) or "Model"
    if name[0].isdigit():
        name = "M" + name
    return name


# Names TensorFlow gives to signature tensors that say nothing about them.
_MEANINGLESS_PREFIXES = ("StatefulPartitionedCall", "PartitionedCall", "Identity")
# Keras' automatic names (input_1, output_0, input_1_int8 after full-integer quantization):
# their number is a counter, not the position, so they would mislead beside input_<i>().
_AUTOMATIC_NAME = re.compile(r"^(input|output)(_\d+)?(_u?int8)?$")


def tensor_accessor(tensor_name: str, position: int, signature_name: str = "") -> str:
    """Accessor suffix of a model input or output, one rule for both: the name the model's
    signature gives it (what Keras called it), else its tensor name (serving_default_x:0
    -> x); a name TensorFlow made up (StatefulPartitionedCall:0, Identity, input_1,
    output_0) becomes the position."""
    name = re.sub(r":\d+$", "", signature_name or tensor_name or "")
    if name.startswith("serving_default_"):
        name = name[len("serving_default_"):]
    if (not name or name.startswith(_MEANINGLESS_PREFIXES) or _AUTOMATIC_NAME.match(name)
            or len(name) > 40):
        return str(position)
    return identifier(name, prefix="t_")


# Names frameworks define at global scope (Arduino cores, Mbed, CMSIS, the C library):
# a model class of that name would not compile beside them, so its header declares it
# only inside namespace utensor_models (no global alias).
FRAMEWORK_GLOBALS = frozenset("""
Serial Serial1 Serial2 Serial3 Serial4 Serial5 Serial6 Serial7 Serial8 SerialUSB SerialUSB1
Wire Wire1 Wire2 SPI SPI1 SPI2 String EEPROM WiFi Ethernet SD Servo Keyboard Mouse Stream Print
Printable Client Server Udp IPAddress HardwareSerial TwoWire SPIClass SPISettings Tone
Timer Ticker Thread Mutex Semaphore Queue Mail EventQueue DigitalOut DigitalIn AnalogIn
AnalogOut InterruptIn PwmOut Timeout Kernel Callback Watchdog FlashIAP
NVIC SCB SysTick ITM DWT CoreDebug TPI MPU FPU RCC GPIOA GPIOB GPIOC TIM1 TIM2 USART1 UART0
""".split())


def needs_namespace_only(class_name_: str) -> bool:
    """True when a generated class must not get a global alias (see FRAMEWORK_GLOBALS)."""
    return class_name_ in FRAMEWORK_GLOBALS
