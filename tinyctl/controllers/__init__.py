"""Controller specs (the firmware glue's configuration, kept once) and the same glue in NumPy.

    from tinyctl.controllers import spec_by_name, Controller
    ctl = Controller(spec_by_name("raptor"), tinyctl.load("build/raptor"))
    ctl.reset()
    out = ctl.step(state)          # state: tinyctl.link_protocol.State -> ControllerOutput (motors, action, ...)
"""
from tinyctl.controllers.glue import Controller, ControllerOutput, build_observation, action_to_motors
from tinyctl.controllers.lipschitz import LIPSCHITZ
from tinyctl.controllers.raptor import RAPTOR
from tinyctl.controllers.spec import FEATURE_KINDS, ControllerSpec, Feature
from tinyctl.errors import TinyctlError

SPECS = {RAPTOR.name: RAPTOR, LIPSCHITZ.name: LIPSCHITZ}


def spec_by_name(name):
    try:
        return SPECS[name]
    except KeyError:
        raise TinyctlError(f"unknown controller '{name}': choose one of {', '.join(SPECS)}") from None


__all__ = ["Controller", "ControllerOutput", "ControllerSpec", "Feature", "FEATURE_KINDS", "LIPSCHITZ", "RAPTOR", "SPECS",
           "action_to_motors", "build_observation", "spec_by_name"]
