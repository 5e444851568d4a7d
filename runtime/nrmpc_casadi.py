"""An independent reference for the Newton-Raphson MPC: the same problem, built in CasADi from the same ONNX
model, solved by IPOPT (extra `mpc`); and a CasADi-generated Newton step for the benchmark.

The ONNX graph is translated node by node into CasADi expressions (the MLP ops dynamics models use), so the
reference shares nothing with tinyctl's compiler but the file. Tensors have a leading batch dimension of 1
and are held as column vectors of their elements.
"""
import numpy as np
import onnx
from onnx import helper, numpy_helper

from tinyctl.errors import TinyctlError
from tinyctl.runtime.nrmpc import MpcSettings  # noqa: F401  (the settings this module takes)


def _casadi():
    try:
        import casadi
    except ImportError:
        raise TinyctlError("the CasADi reference needs casadi: install the extra `mpc` "
                           "(pip install -e '.[mpc]')") from None
    return casadi


_ACTIVATIONS = {
    "Tanh": lambda ca, x, a: ca.tanh(x),
    "Relu": lambda ca, x, a: ca.fmax(x, 0),
    "Sigmoid": lambda ca, x, a: 1 / (1 + ca.exp(-x)),
    "Softplus": lambda ca, x, a: ca.log(1 + ca.exp(x)),
    "Elu": lambda ca, x, a: ca.if_else(x > 0, x, a.get("alpha", 1.0) * (ca.exp(x) - 1)),
    "LeakyRelu": lambda ca, x, a: ca.if_else(x >= 0, x, a.get("alpha", 0.01) * x),
    "HardSigmoid": lambda ca, x, a: ca.fmin(ca.fmax(a.get("alpha", 0.2) * x + a.get("beta", 0.5), 0), 1),
}
_RESHAPES = ("Identity", "Reshape", "Flatten", "Squeeze", "Unsqueeze")


def _row(shape):
    return len(shape) <= 1 or (len(shape) == 2 and shape[0] == 1)


def model_function(model, sym="SX"):
    """The ONNX dynamics model as a CasADi Function f(state, input) -> next_state (column vectors).

    sym: "SX" (scalar expressions) or "MX" (matrix expressions, smaller generated code)."""
    ca = _casadi()
    proto = model if isinstance(model, onnx.ModelProto) else onnx.load(model)
    g = proto.graph
    consts = {i.name: numpy_helper.to_array(i).astype(np.float64) for i in g.initializer}
    inits = set(consts)
    inputs = [i for i in g.input if i.name not in inits]
    Sym = getattr(ca, sym)
    env, args = {}, []
    for vi in inputs:
        shape = [d.dim_value or 1 for d in vi.type.tensor_type.shape.dim]
        if not _row(shape):
            raise TinyctlError(f"CasADi reference: input '{vi.name}' has shape {shape}; dynamics models take "
                               "row vectors [1, n]")
        n = int(np.prod(shape))
        env[vi.name] = Sym.sym(vi.name, n)
        args.append(env[vi.name])
    for node in g.node:
        a = {x.name: helper.get_attribute_value(x) for x in node.attribute}
        if node.op_type == "Constant":
            consts[node.output[0]] = numpy_helper.to_array(a["value"]).astype(np.float64)
            continue
        x = [env.get(i, consts.get(i)) if i else None for i in node.input]
        op = node.op_type
        if op == "Gemm":
            w = consts.get(node.input[1])
            if w is None or node.input[0] in consts or a.get("transA", 0):
                raise TinyctlError(f"CasADi reference: node '{node.name}' (Gemm) needs a row input and constant "
                                   "weights")
            w = w.T if a.get("transB", 0) else w
            y = a.get("alpha", 1.0) * ca.mtimes(ca.DM(w.T), x[0])
            if len(x) > 2 and x[2] is not None:
                y = y + a.get("beta", 1.0) * ca.DM(np.broadcast_to(x[2], (w.shape[1],)).copy())
        elif op == "MatMul":
            if node.input[1] not in consts:
                raise TinyctlError(f"CasADi reference: node '{node.name}' (MatMul) needs constant weights")
            y = ca.mtimes(ca.DM(consts[node.input[1]].T), x[0])
        elif op in ("Add", "Sub", "Mul", "Div"):
            l, r = [v if not isinstance(v, np.ndarray) else ca.DM(v.ravel()) for v in x]
            y = {"Add": lambda: l + r, "Sub": lambda: l - r, "Mul": lambda: l * r, "Div": lambda: l / r}[op]()
        elif op == "Concat":
            y = ca.vertcat(*[v if not isinstance(v, np.ndarray) else ca.DM(v.ravel()) for v in x])
        elif op in _ACTIVATIONS:
            y = _ACTIVATIONS[op](ca, x[0], a)
        elif op in _RESHAPES:
            y = x[0]
        else:
            raise TinyctlError(f"CasADi reference: node '{node.name}' ({op}) is not supported; dynamics models "
                               "use Gemm/MatMul, activations, Add/Sub/Mul/Div, Concat and reshapes")
        env[node.output[0]] = y
    out = env[g.output[0].name]
    return ca.Function("dynamics", args, [out], [i.name for i in inputs], [g.output[0].name])


def objective(f, s, x0, ref, u_prev, u, bias=0):
    """J(U) of tinyctl/nrmpc.h as a CasADi expression; u is an (NC * NU) column, moves in order."""
    ca = _casadi()
    nu = s.nu
    cost, x = 0, x0
    for k in range(s.horizon):
        m = min(k, s.control_horizon - 1)
        x = f(x, u[m * nu:(m + 1) * nu]) + bias
        e = x - ref[k, :].T
        cost += ca.sum1(ca.DM(s.q) * e * e)
    for j in range(s.control_horizon):
        uj = u[j * nu:(j + 1) * nu]
        prev = u_prev if j == 0 else u[(j - 1) * nu:j * nu]
        cost += ca.sum1(ca.DM(s.r) * (uj - prev) ** 2)
        if s.constraints == "barrier":
            lo, hi = ca.DM(s.u_min), ca.DM(s.u_max)
            cost += ca.sum1(s.barrier * (1 / (uj - lo) + 1 / (hi - uj) - 4 / (hi - lo)))
    return cost


def solve_ipopt(model, s, problem, u0, tol=1e-10, f=None):
    """IPOPT on the same objective (the Soloway-Haley barrier included in barrier mode) from the same initial
    guess; the box is IPOPT's bound constraint in both modes. Returns (u [NC, NU], J at u, IPOPT's status)."""
    ca = _casadi()
    f = f or model_function(model)
    u = ca.SX.sym("u", s.nv)
    ref = np.broadcast_to(np.asarray(problem.ref, float), (s.horizon, s.nx))
    cost = objective(f, s, ca.DM(np.asarray(problem.x0, float)), ca.DM(ref),
                     ca.DM(np.asarray(problem.u_prev, float)), u, ca.DM(problem.offset))
    solver = ca.nlpsol("ipopt", "ipopt", {"x": u, "f": cost},
                       {"ipopt.print_level": 0, "ipopt.sb": "yes", "print_time": 0, "ipopt.tol": tol,
                        "ipopt.max_iter": 500})
    lo, hi = np.tile(s.u_min, s.control_horizon), np.tile(s.u_max, s.control_horizon)
    sol = solver(x0=np.asarray(u0, float).ravel(), lbx=lo, ubx=hi)
    status = solver.stats()["return_status"]
    x = sol["x"].full().ravel()
    return x.reshape(s.control_horizon, s.nu), float(sol["f"]), status


def cost_function(model, s, f=None):
    """J as a CasADi Function (x0, ref [N, NX] flattened, u_prev, u) -> J, in float64: the arbiter."""
    ca = _casadi()
    f = f or model_function(model)
    x0, ref = ca.SX.sym("x0", s.nx), ca.SX.sym("ref", s.horizon * s.nx)
    u_prev, u = ca.SX.sym("u_prev", s.nu), ca.SX.sym("u", s.nv)
    refm = ca.reshape(ref, s.nx, s.horizon).T
    return ca.Function("J", [x0, ref, u_prev, u], [objective(f, s, x0, refm, u_prev, u)])


def newton_step_function(model, s, sym="MX"):
    """One Gauss-Newton step of the same problem as a CasADi Function (x0, ref, u_prev, u) -> u_next:
    u - (H + mu I)^-1 g with H = 2 sum S'QS + 2 D'RD (+ the barrier's exact Hessian), no line search.
    What CasADi's code generator turns into C for the benchmark."""
    ca = _casadi()
    f = model_function(model, sym=sym)
    Sym = getattr(ca, sym)
    x0, ref = Sym.sym("x0", s.nx), Sym.sym("ref", s.horizon * s.nx)
    u_prev, u = Sym.sym("u_prev", s.nu), Sym.sym("u", s.nv)
    nu = s.nu
    residuals, x = [], x0
    for k in range(s.horizon):
        m = min(k, s.control_horizon - 1)
        x = f(x, u[m * nu:(m + 1) * nu])
        residuals.append(ca.sqrt(ca.DM(s.q)) * (x - ref[k * s.nx:(k + 1) * s.nx]))
    rates = []
    for j in range(s.control_horizon):
        prev = u_prev if j == 0 else u[(j - 1) * nu:j * nu]
        rates.append(ca.sqrt(ca.DM(s.r)) * (u[j * nu:(j + 1) * nu] - prev))
    res = ca.vertcat(*residuals, *rates)
    jr = ca.jacobian(res, u)
    g = 2 * ca.mtimes(jr.T, res)
    h = 2 * ca.mtimes(jr.T, jr) + s.mu * ca.DM.eye(s.nv)
    if s.constraints == "barrier":
        lo, hi = ca.repmat(ca.DM(s.u_min), s.control_horizon, 1), ca.repmat(ca.DM(s.u_max), s.control_horizon, 1)
        g = g + s.barrier * (1 / (hi - u) ** 2 - 1 / (u - lo) ** 2)
        h = h + ca.diag(2 * s.barrier * (1 / (u - lo) ** 3 + 1 / (hi - u) ** 3))
    step = ca.solve(h, g) if sym == "SX" else ca.solve(h, g, "qr")
    return ca.Function("nrmpc_newton_step", [x0, ref, u_prev, u], [u - step], ["x0", "ref", "u_prev", "u"], ["u_next"])
