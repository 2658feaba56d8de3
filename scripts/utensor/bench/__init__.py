"""`utensor bench`: measure a model on an emulated board and set it beside TensorFlow Lite
Micro. core.bench_model() does one model; firmware.py builds the benchmark firmware,
runner.py runs it under QEMU with the exact instruction counter, sizes.py splits flash and
RAM from the linker map, macs.py counts MACs per layer, tflm.py holds TFLM's figures,
report.py writes text and Markdown."""
