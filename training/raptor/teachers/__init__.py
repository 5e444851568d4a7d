"""Teachers for meta-imitation, behind one interface (base.Teacher): `make_teacher(name, vehicles, disturbance)`.

    lqr   an LQR controller designed per vehicle on its true parameters (the default: built in milliseconds)
    ppo   a PPO agent trained per vehicle on the batched simulator (RAPTOR's recipe with PPO for SAC; slow)
"""
from tinyctl.errors import TinyctlError

TEACHERS = ("lqr", "ppo")


def make_teacher(name, vehicles, disturbance, **options):
    if name == "lqr":
        from tinyctl.training.raptor.teachers.lqr import LqrTeacher
        return LqrTeacher(vehicles, disturbance, **options)
    if name == "ppo":
        from tinyctl.training.raptor.teachers.ppo import train_ppo_teachers
        return train_ppo_teachers(vehicles, disturbance, **options)
    raise TinyctlError(f"unknown teacher '{name}': choose one of {', '.join(TEACHERS)}")


__all__ = ["TEACHERS", "make_teacher"]
