"""The generated configuration of one firmware build: controller, model glue, board, memory map."""
from tinyctl import __version__
from tinyctl.controllers.plant_law import PlantLawSpec
from tinyctl.controllers.spec import FEATURE_KINDS
from tinyctl.conventions import MOTOR_ORDER
from tinyctl.firmware.codegen.render import render


def controller_config(spec, mode, timeout_us):
    """tc_controller_config.h: a quadrotor controller spec's glue, or (mode law) a plant law's."""
    if isinstance(spec, PlantLawSpec):
        return render("tc_plant_law_config.h.j2", version=__version__, spec=spec, mode=mode, timeout_us=int(timeout_us))
    return render("tc_controller_config.h.j2", version=__version__, spec=spec, mode=mode, kinds=list(FEATURE_KINDS),
                  layout=spec.layout(), motor_order=", ".join(MOTOR_ORDER), timeout_us=int(timeout_us))


def model_glue(manifest):
    """tc_model.h over a compiled model's manifest (None: a build without a model, passthrough only)."""
    return render("tc_model.h.j2", version=__version__, m=manifest)


def board_config(board, desc, folder):
    return render("tc_board_config.h.j2", version=__version__, board=board, desc=desc, folder=folder)


def memory_ld(board, stack_bytes):
    return render("memory.ld.j2", version=__version__, board=board, stack_bytes=int(stack_bytes))
