"""The simulator's chaos faults: a fault with a ``probability`` fires on about that share of
matching calls (the spared ones do not use up its count), and the recent-posts look-up fails
only when a fault names it, so an ordinary write fault never breaks a reconcile."""

from __future__ import annotations

import requests

HEADERS = {"Authorization": "Bearer sandbox-token"}


def _post(sim, text: str) -> int:
    return requests.post(f"{sim.url}/sandbox/api/v1/accounts/metro911/posts", headers=HEADERS,
                         json={"text": text}, timeout=5).status_code


def _lookup(sim) -> int:
    return requests.get(f"{sim.url}/sandbox/api/v1/accounts/metro911/posts", headers=HEADERS,
                        timeout=5).status_code


def test_a_probabilistic_fault_fails_about_that_share_of_posts(sim) -> None:
    sim.fault("server_error", request_kind="post", probability=0.2, count=10_000)
    answers = [_post(sim, f"Shift change at 0700, post {i}.") for i in range(300)]
    failed = answers.count(503)
    assert set(answers) == {201, 503}
    assert 20 <= failed <= 100, failed  # 60 expected; far outside would mean no randomness
    [fault] = requests.get(f"{sim.url}/_sim/faults", timeout=5).json()["faults"]
    assert fault["count"] == 10_000 - failed and fault["probability"] == 0.2


def test_a_probability_outside_zero_to_one_is_refused(sim) -> None:
    response = requests.post(f"{sim.url}/_sim/faults", timeout=5, json={
        "platform": "sandbox", "kind": "server_error", "probability": 1.5})
    assert response.status_code == 400
    assert "probability" in response.json()["error"]["message"]


def test_the_look_up_fails_only_when_a_fault_names_it(sim) -> None:
    sim.fault("server_error")  # a write fault: the look-up is spared
    assert _lookup(sim) == 200
    assert _post(sim, "Hiring: telecommunicator trainees.") == 503
    sim.fault("server_error", request_kind="lookup")
    assert _post(sim, "Hiring: telecommunicator trainees.") == 201
    assert _lookup(sim) == 503
    assert _lookup(sim) == 200
