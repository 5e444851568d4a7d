"""The held-out table in Markdown: one row per policy, the same vehicles and seeds for each."""

POLICY_NAMES = {"ours": "ours (tinyctl train raptor)", "published": "published RAPTOR (foundation-policy 1.0.2)",
                "teachers": "teachers (per-vehicle LQR, true parameters)"}


def _pct(s):
    return f"{100 * s['success_rate']:.1f} % ({s['successes']}/{s['runs']})"


def _cm(v):
    return "-" if v is None else f"{100 * v:.2f}"


def scenario_table(name, by_policy):
    lines = [f"**{name}**", "",
             "| policy | success | crashes | median steady-state error (cm) | mean steady-state error (cm) "
             "| median RMSE (cm) |",
             "|---|---|---|---|---|---|"]
    for policy, s in by_policy.items():
        lines.append(f"| {POLICY_NAMES.get(policy, policy)} | {_pct(s)} | {s['crashes']} | "
                     f"{_cm(s['steady_state_error_median'])} | {_cm(s['steady_state_error_mean'])} | "
                     f"{_cm(s['rmse_median'])} |")
    return "\n".join(lines)


def evaluation_markdown(evaluation, vehicles, domain, command):
    head = [f"# Held-out evaluation: {vehicles} vehicles from the training distribution ('{domain}')", "",
            f"Produced by `{command}` (builtin simulator, the core's scenarios and success criteria; episode i of "
            "each scenario flies vehicle i for every policy, so all rows meet the same vehicles from the same "
            "initial states).", ""]
    body = [scenario_table(name, by_policy) + "\n" for name, by_policy in evaluation.items()]
    return "\n".join(head + body)


def crazyflie_markdown(results):
    lines = ["| simulator | scenario | policy | success | crashes | median steady-state error (cm) "
             "| median RMSE (cm) |", "|---|---|---|---|---|---|---|"]
    for sim, by_scenario in results.items():
        if "unavailable" in by_scenario:
            lines.append(f"| {sim} | - | - | unavailable: {by_scenario['unavailable']} | | | |")
            continue
        for scenario, by_policy in by_scenario.items():
            for policy, s in by_policy.items():
                lines.append(f"| {sim} | {scenario} | {POLICY_NAMES.get(policy, policy)} | {_pct(s)} | "
                             f"{s['crashes']} | {_cm(s['steady_state_error_median'])} | {_cm(s['rmse_median'])} |")
    return "\n".join(lines)
