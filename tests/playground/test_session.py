"""The playground's settings, data, session (training compared with PyTorch) and HTTP API."""
import base64
import time
import warnings

import numpy as np
import pytest
import torch

from rosenblatt.playground import data as pgdata
from rosenblatt.playground.params import MAX_LAYERS, ParamError, Params, parse, schema
from rosenblatt.playground.session import GRID, Session

with warnings.catch_warnings():      # starlette's note that its TestClient will move to httpx2
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from starlette.testclient import TestClient  # the [playground] extra is part of [test]

from rosenblatt.playground.server import create_app


# -- settings -----------------------------------------------------------------------------------------
def test_parse_defaults_and_strings():
    assert parse({}) == Params()
    p = parse({"dataset": "XOR", "layers": "8,1", "features": "x2,x1,sinx1", "lr": "0.1",
               "noise": "20", "reg": "l2", "reg_rate": "0.01", "dropout": "0.2", "lang": "zh"})
    assert p.dataset == "xor" and p.layers == (8, 1) and p.lr == 0.1 and p.noise == 20
    assert p.features == ("x1", "x2", "sinx1")            # the page's order
    assert parse({"layers": ""}).layers == ()              # no hidden layer
    assert parse({"layers": [3, 3]}).layers == (3, 3)      # JSON lists too
    assert parse(p.to_dict()) == p                         # round trip through the URL vocabulary


@pytest.mark.parametrize("name, value", [
    ("dataset", "moons"), ("noise", "60"), ("noise", "1.5"), ("ratio", "5"), ("batch", "0"),
    ("features", ""), ("features", "x1,x3"), ("features", "x1,x1"), ("layers", "9"),
    ("layers", ",".join(["2"] * (MAX_LAYERS + 1))), ("layers", "a,b"), ("activation", "gelu"),
    ("init", "ones"), ("lr", "0"), ("lr", "nan"), ("lr", "abc"), ("lr", True), ("optimizer", "lbfgs"),
    ("reg", "l3"), ("reg_rate", "-1"), ("dropout", "1"), ("seed", "-3"), ("colour", "red")])
def test_parse_rejects_naming_the_parameter(name, value):
    with pytest.raises(ParamError) as err:
        parse({name: value})
    assert err.value.param == name and repr(name) in str(err.value)


def test_schema_defaults_parse():
    s = schema()
    assert parse(s["defaults"]) == Params()
    assert set(s["datasets"]) == {"circle", "xor", "gauss", "spiral", "reg-plane", "reg-gauss"}


# -- data ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["circle", "xor", "gauss", "spiral", "reg-plane", "reg-gauss"])
def test_datasets_shapes_ranges_and_seed(name):
    xy, y = pgdata.make_dataset(name, 0.0, np.random.default_rng(1))
    assert xy.shape == (len(y), 2) and np.all(np.abs(xy) <= pgdata.EXTENT) and np.all(np.abs(y) <= 1)
    if name.startswith("reg"):
        assert len(np.unique(y)) > 10
    else:
        assert set(np.unique(y)) == {-1.0, 1.0}
    xy2, y2 = pgdata.make_dataset(name, 0.0, np.random.default_rng(1))
    np.testing.assert_array_equal(xy, xy2)
    noisy, _ = pgdata.make_dataset(name, 0.5, np.random.default_rng(1))
    assert not np.allclose(noisy, xy)


def test_xor_labels_are_the_sign_of_the_product():
    xy, y = pgdata.make_dataset("xor", 0.0, np.random.default_rng(0))
    np.testing.assert_array_equal(y, np.sign(xy[:, 0] * xy[:, 1]))


def test_features_and_grid():
    xy = np.array([[1.0, 2.0], [-0.5, 3.0]])
    f = pgdata.features(xy, ("x1", "x2", "x1sq", "x2sq", "x1x2", "sinx1", "sinx2"))
    expect = np.stack([xy[:, 0], xy[:, 1], xy[:, 0] ** 2, xy[:, 1] ** 2, xy[:, 0] * xy[:, 1],
                       np.sin(xy[:, 0]), np.sin(xy[:, 1])], 1)
    np.testing.assert_allclose(f, expect, rtol=1e-6)
    g = pgdata.grid_points(4)
    assert g.shape == (16, 2) and g[0, 1] > 0 > g[-1, 1] and g[0, 0] < 0 < g[3, 0]   # top row first


# -- the session --------------------------------------------------------------------------------------
def test_session_snapshot_shapes():
    s = Session(parse({"layers": "3,2", "features": "x1,x2,x1x2"}))
    snap = s.snapshot()
    assert [np.shape(w) for w in snap["weights"]] == [(3, 3), (2, 3), (1, 2)]
    assert [len(p) for p in snap["pictures"]] == [3, 3, 2, 1]
    assert all(len(base64.b64decode(p)) == GRID * GRID for layer in snap["pictures"] for p in layer)
    assert len(snap["train"]) + len(snap["test"]) == 500 and len(snap["train"][0]) == 3
    assert "train" not in s.snapshot(full=False)


def test_zero_init_keeps_hidden_neurons_identical():
    # the course's symmetry lesson: with every weight zero, a hidden layer's neurons never differ
    s = Session(parse({"dataset": "xor", "init": "zeros", "layers": "4", "lr": 0.3}))
    for _ in range(5):
        s.update()
    w = s.net.hidden[0].weight.detach().numpy()
    np.testing.assert_array_equal(w, np.broadcast_to(w[:1], w.shape))


def test_training_learns_xor_and_reset_repeats_the_start():
    s = Session(parse({"dataset": "xor", "layers": "4,4", "activation": "tanh"}))
    start = s.snapshot(full=False)["weights"]
    first = s.test_loss
    for _ in range(60):
        s.update()
    assert s.epoch == 60 and s.test_loss < 0.1 < first
    s.reset()
    assert s.epoch == 0 and s.snapshot(full=False)["weights"] == start


def test_configure_live_and_rebuild():
    s = Session()
    s.update()
    run, data = s.run, s.data_version
    s.configure(parse({"lr": 0.3}, base=s.params))           # live: keeps the network and epoch
    assert s.epoch == 1 and s.run == run and s.opt.param_groups[0]["lr"] == 0.3
    s.configure(parse({"activation": "relu"}, base=s.params))  # rebuild, same data
    assert s.epoch == 0 and s.run == run + 1 and s.data_version == data
    s.configure(parse({"dataset": "spiral"}, base=s.params))   # new data
    assert s.data_version == data + 1


def _torch_net(session):
    """The same network in PyTorch, with the session's current weights."""
    p = session.params
    act = {"relu": torch.nn.ReLU, "tanh": torch.nn.Tanh, "sigmoid": torch.nn.Sigmoid,
           "linear": torch.nn.Identity}[p.activation]
    mods = []
    for layer in session.net.linears():
        lin = torch.nn.Linear(layer.in_features, layer.out_features)
        with torch.no_grad():
            lin.weight.copy_(torch.from_numpy(layer.weight.detach().numpy().copy()))
            lin.bias.copy_(torch.from_numpy(layer.bias.detach().numpy().copy()))
        mods += [lin, act()]
    mods[-1] = torch.nn.Identity() if p.regression else torch.nn.Tanh()
    return torch.nn.Sequential(*mods)


@pytest.mark.parametrize("settings", [
    {"optimizer": "sgd", "activation": "tanh"},
    {"optimizer": "momentum", "activation": "relu", "reg": "l2", "reg_rate": 0.03, "init": "kaiming"},
    {"optimizer": "adam", "activation": "sigmoid", "reg": "l1", "reg_rate": 0.01, "lr": 0.01},
    {"optimizer": "sgd", "activation": "linear", "dataset": "reg-plane", "layers": "3"},
])
def test_steps_match_pytorch(settings):
    """Three minibatch steps: loss (1/2 MSE + penalty) and the weights after each, as PyTorch."""
    s = Session(parse(dict(settings, features="x1,x2,x1sq,sinx2")))
    p = s.params
    net = _torch_net(s)
    opt = {"sgd": lambda: torch.optim.SGD(net.parameters(), lr=p.lr),
           "momentum": lambda: torch.optim.SGD(net.parameters(), lr=p.lr, momentum=0.9),
           "adam": lambda: torch.optim.Adam(net.parameters(), lr=p.lr)}[p.optimizer]()
    weights = [m.weight for m in net if isinstance(m, torch.nn.Linear)]
    for k in range(3):
        x, y = s.train_x[k * 10:(k + 1) * 10], s.train_y[k * 10:(k + 1) * 10]
        ours = s.step(x, y)
        out = net(torch.from_numpy(x)).reshape(-1)
        loss = 0.5 * ((out - torch.from_numpy(y.astype(np.float32))) ** 2).mean()
        if p.reg == "l1":
            loss = loss + p.reg_rate * sum(w.abs().sum() for w in weights)
        elif p.reg == "l2":
            loss = loss + p.reg_rate * 0.5 * sum((w * w).sum() for w in weights)
        opt.zero_grad()
        loss.backward()
        opt.step()
        assert ours == pytest.approx(loss.item(), rel=1e-5, abs=1e-7)
        for ours_l, theirs in zip(s.net.linears(), [m for m in net if isinstance(m, torch.nn.Linear)]):
            np.testing.assert_allclose(ours_l.weight.detach().numpy(), theirs.weight.detach().numpy(),
                                       rtol=1e-5, atol=1e-6)
            np.testing.assert_allclose(ours_l.bias.detach().numpy(), theirs.bias.detach().numpy(),
                                       rtol=1e-5, atol=1e-6)


# -- the HTTP API -------------------------------------------------------------------------------------
@pytest.fixture
def client():
    app = create_app(max_sessions=3, idle_timeout=2.0, max_rate=50)
    with TestClient(app) as c:
        yield c


def test_api_session_lifecycle(client):
    r = client.post("/api/sessions", json={"dataset": "xor", "layers": "4,4"})
    assert r.status_code == 201
    sid = r.json()["id"]
    assert r.json()["params"]["layers"] == [4, 4] and r.json()["epoch"] == 0
    assert client.post(f"/api/sessions/{sid}/step").json() == {"playing": False, "epoch": 1}
    assert client.post(f"/api/sessions/{sid}/play").json()["playing"] is True
    deadline = time.monotonic() + 20
    while client.get(f"/api/sessions/{sid}").json()["epoch"] < 4 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert client.get(f"/api/sessions/{sid}").json()["epoch"] >= 4      # the trainer thread ran it
    client.post(f"/api/sessions/{sid}/pause")
    assert client.post(f"/api/sessions/{sid}/reset").json()["epoch"] == 0
    r = client.post(f"/api/sessions/{sid}/config", json={"lr": 0.1, "activation": "relu"})
    assert r.status_code == 200 and r.json()["params"]["activation"] == "relu"
    assert client.delete(f"/api/sessions/{sid}").status_code == 200
    assert client.get(f"/api/sessions/{sid}").status_code == 404


@pytest.mark.parametrize("body, param", [({"lr": "fast"}, "lr"), ({"layers": "4,4,4,4,4,4,4"}, "layers"),
                                         ({"dataset": "mnist"}, "dataset"), ({"speed": 3}, "speed")])
def test_api_bad_parameters_are_400_naming_them(client, body, param):
    r = client.post("/api/sessions", json=body)
    assert r.status_code == 400 and r.json()["param"] == param and repr(param) in r.json()["error"]
    sid = client.post("/api/sessions", json={}).json()["id"]
    r = client.post(f"/api/sessions/{sid}/config", json=body)
    assert r.status_code == 400 and r.json()["param"] == param
    assert client.get(f"/api/sessions/{sid}").json()["params"] == Params().to_dict()   # unchanged


@pytest.mark.parametrize("content", [b"{not json", b"[1, 2]", b'"xor"', b"x" * 20000])
def test_api_bad_bodies_are_4xx(client, content):
    r = client.post("/api/sessions", content=content, headers={"Content-Type": "application/json"})
    assert 400 <= r.status_code < 500 and "request body" in r.json()["error"]


def test_api_unknown_session_and_action(client):
    assert client.get("/api/sessions/nope").status_code == 404
    assert "ended" in client.post("/api/sessions/nope/play").json()["error"]
    sid = client.post("/api/sessions", json={}).json()["id"]
    r = client.post(f"/api/sessions/{sid}/fly")
    assert r.status_code == 404 and "unknown action" in r.json()["error"]


def test_api_session_cap_and_expiry(client):
    ids = [client.post("/api/sessions", json={}).json()["id"] for _ in range(3)]
    r = client.post("/api/sessions", json={})
    assert r.status_code == 503 and "cap is 3" in r.json()["error"]
    assert client.get("/api/stats").json()["sessions"] == 3
    client.post(f"/api/sessions/{ids[0]}/close")                  # the page's beacon
    assert client.post("/api/sessions", json={}).status_code == 201
    deadline = time.monotonic() + 10                              # no page watching: they expire
    while client.get("/api/stats").json()["sessions"] and time.monotonic() < deadline:
        time.sleep(0.1)
    assert client.get("/api/stats").json()["sessions"] == 0


def test_page_and_static_files(client):
    page = client.get("/")
    assert page.status_code == 200
    for hook in ("dataset", "play", "reset", "step", "test-loss", "train-loss", "boundary", "lang"):
        assert f'data-testid="{hook}"' in page.text
    assert client.get("/static/app.js").status_code == 200
    assert client.get("/static/style.css").status_code == 200
    assert client.get("/api/schema").json()["maxLayers"] == MAX_LAYERS
