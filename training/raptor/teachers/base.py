"""What every teacher gives the distillation: actions for a batch of vehicles it knows.

A teacher is built for a VehicleBatch and the episode's disturbance forces (privileged information the student
never sees), and acts on the full plant state, which includes the motor speeds (RAPTOR's teachers see the rotor
speeds too):

    teacher = make_teacher("lqr", vehicles, disturbance)
    action = teacher.act(x, target_position, target_velocity, previous_action)   # x [B, 17] -> [B, 4]

Actions are in the student's action space (RAPTOR's: [-1, 1], motor order M1..M4), so a label needs no
conversion. A teacher's input is the plant state, the previous executed action, and at most a state of its own
built from what the student has seen in the episode so far (the LQR teacher's integral of the position error);
`reset()` starts an episode. So a teacher can label any rollout, whoever flew it: what DAgger needs.
"""


class Teacher:
    name = "teacher"

    def __init__(self, vehicles, disturbance):
        self.vehicles = vehicles
        self.disturbance = disturbance

    def reset(self):
        """Start an episode (teachers with a state of their own clear it)."""

    def act(self, x, target_position, target_velocity, previous_action):
        raise NotImplementedError

    def select(self, index):
        """The same teachers for a sub-batch of the vehicles."""
        raise NotImplementedError
