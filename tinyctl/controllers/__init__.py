"""Controller specs (the firmware glue's configuration, kept once) and the same glue in NumPy.

    from tinyctl.controllers import spec_by_name, Controller
    ctl = Controller(spec_by_name("raptor"), tinyctl.load("build/raptor"))
    ctl.reset()
    out = ctl.step(state)          # state: tinyctl.link_protocol.State -> ControllerOutput (motors, action, ...)

Plant laws (mode `law`: PLANT frames -> a plain model -> plant inputs) have PlantLawSpec and PlantLaw alike.
"""
from tinyctl.controllers.altitude import ALTITUDE_LAW
from tinyctl.controllers.glue import Controller, ControllerOutput, build_observation, action_to_motors
from tinyctl.controllers.lipschitz import LIPSCHITZ
from tinyctl.controllers.plant_law import PlantLaw, PlantLawSpec
from tinyctl.controllers.raptor import RAPTOR
from tinyctl.controllers.spec import FEATURE_KINDS, ControllerSpec, Feature
from tinyctl.errors import TinyctlError

SPECS = {RAPTOR.name: RAPTOR, LIPSCHITZ.name: LIPSCHITZ, ALTITUDE_LAW.name: ALTITUDE_LAW}


def spec_by_name(name):
    """A builtin spec by name, or a plant-law spec from a JSON file (PlantLawSpec.to_dict's fields)."""
    if name not in SPECS and PlantLawSpec.is_file(name):
        return PlantLawSpec.load(name)
    try:
        return SPECS[name]
    except KeyError:
        raise TinyctlError(f"unknown controller '{name}': choose one of {', '.join(SPECS)}, or give a plant-law "
                           "spec as a .json file") from None


__all__ = ["ALTITUDE_LAW", "Controller", "ControllerOutput", "ControllerSpec", "Feature", "FEATURE_KINDS", "LIPSCHITZ",
           "PlantLaw", "PlantLawSpec", "RAPTOR", "SPECS", "action_to_motors", "build_observation", "spec_by_name"]
