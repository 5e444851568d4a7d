"""Bench section "mpc" (tinyctl bench --section mpc): see run()."""
