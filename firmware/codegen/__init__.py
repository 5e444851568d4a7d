"""The firmware's generated C: the link protocol header (from tinyctl.link_protocol), the controller
configuration (from a controller spec), the model glue (from a manifest), the board configuration and memory map
(from the board table). Nothing here is hand-kept in two places."""
from tinyctl.firmware.codegen.config import board_config, controller_config, memory_ld, model_glue
from tinyctl.firmware.codegen.link_header import link_header

__all__ = ["board_config", "controller_config", "link_header", "memory_ld", "model_glue"]
