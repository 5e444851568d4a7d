"""Imitation of an expert by a gamma-Lipschitz policy ("Learning Lipschitz Feedback Policies from Expert
Demonstrations", Al Makdah, Krishnan, Pasqualetti): minimise the imitation loss subject to lip(pi) <= gamma.

With LBDN layers the constraint is the parametrisation, so the problem is plain unconstrained regression; gamma
trades nominal accuracy (a small gamma cannot follow the expert's steep regions) for robustness to perturbed
measurements (the action moves at most gamma ||delta|| when the observation moves by delta).
"""
import numpy as np
import torch

from tinyctl.training.lipschitz.sandwich import LBDN, frozen_forward


def fit(obs, act, gamma, hidden=(64, 64), epochs=60, batch=512, lr=2e-3, seed=0, progress=None):
    """An LBDN trained by MSE on (obs, act); returns (net, {train_loss, validation_loss})."""
    torch.manual_seed(seed)
    x, y = torch.as_tensor(obs, dtype=torch.float32), torch.as_tensor(act, dtype=torch.float32)
    perm = torch.randperm(len(x), generator=torch.Generator().manual_seed(seed))
    n_val = max(1, len(x) // 10)
    val, train = perm[:n_val], perm[n_val:]
    net = LBDN(x.shape[1], list(hidden), y.shape[1], gamma)
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, epochs)
    gen = torch.Generator().manual_seed(seed + 1)
    for epoch in range(epochs):
        order = train[torch.randperm(len(train), generator=gen)]
        total = 0.0
        for k in range(0, len(order), batch):
            idx = order[k:k + batch]
            loss = torch.nn.functional.mse_loss(net(x[idx]), y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += float(loss.detach()) * len(idx)
        sched.step()
        if progress is not None:
            progress(epoch + 1, total / len(train))
    with torch.no_grad():
        figures = {"train_loss": float(torch.nn.functional.mse_loss(net(x[train]), y[train])),
                   "validation_loss": float(torch.nn.functional.mse_loss(net(x[val]), y[val])),
                   "samples": int(len(x))}
    return net, figures


def motors_of(layers):
    """A NumPy policy from frozen float64 layers: observation -> motor commands in [0, 1] (float32 weights)."""
    emitted = [(torch.from_numpy(np.asarray(w, np.float32).astype(np.float64)),
                torch.from_numpy(np.asarray(b, np.float32).astype(np.float64))) for w, b in layers]

    def policy(o):
        with torch.no_grad():
            a = frozen_forward(emitted, torch.as_tensor(np.asarray(o, np.float64))[None])[0].numpy()
        return (np.clip(a, -1.0, 1.0) + 1.0) / 2.0
    policy.layers = emitted
    return policy
