"""The peer tools tinyctl is measured against (emx-onnx-cgen, emlearn, nn4mc) and the harness that runs every
tool's C on the same Cortex-M model with the same compiler and flags (mcu.py); `tinyctl bench --section peers`."""
