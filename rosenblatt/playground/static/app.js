// rosenblatt playground: the page. It draws what the server's session sends and sends back the
// learner's settings; no computation of the network happens here. Plain JS, no build step.
"use strict";

// ---- words ---------------------------------------------------------------------------------------
const WORDS = {
  en: {
    title: "rosenblatt playground", subtitle: "a neural network trained by rosenblatt, live",
    reset: "Reset", play: "Play", pause: "Pause", step: "Step", epoch: "Epoch",
    lr: "Learning rate", activation: "Activation", init: "Initialisation", optimizer: "Optimiser",
    reg: "Regularisation", reg_rate: "Regularisation rate", dropout: "Dropout",
    data: "Data", dataset: "Dataset", ratio: "Training data", noise: "Noise", batch: "Batch size",
    seed: "Random seed", network: "Network", hidden_layers: "hidden layers",
    features_hint: "Click an input feature to use it or not.", output: "Output",
    test_loss: "Test loss", train_loss: "Training loss", show_test: "Show test data",
    colors_hint: "Blue is positive, orange negative; the points are the data (test points with a dark ring).",
    footer: "Every number on this page is computed on the server by rosenblatt's autograd and optimisers.",
    features: "Features", layer: "Layer", neurons: "neurons", add: "add a neuron", remove: "remove a neuron",
    bias: "bias", weight: "weight", input: "input", output_node: "output",
    "dataset.circle": "Circle", "dataset.xor": "XOR", "dataset.gauss": "Gaussian",
    "dataset.spiral": "Spiral", "dataset.reg-plane": "Plane (regression)",
    "dataset.reg-gauss": "Multi-Gaussian (regression)",
    "activation.relu": "ReLU", "activation.tanh": "Tanh", "activation.sigmoid": "Sigmoid",
    "activation.linear": "Linear",
    "init.zeros": "Zeros", "init.normal": "N(0, 0.01²)", "init.xavier": "Xavier", "init.kaiming": "Kaiming (He)",
    "optimizer.sgd": "SGD", "optimizer.momentum": "SGD + momentum 0.9", "optimizer.adam": "Adam",
    "reg.none": "None", "reg.l1": "L1", "reg.l2": "L2",
    bad_param: "Ignored a bad setting, using its default:", ended: "The session ended; starting a new one.",
    full: "The server is full:", diverged: "Training stopped:",
  },
  zh: {
    title: "rosenblatt 游乐场", subtitle: "由 rosenblatt 实时训练的神经网络",
    reset: "重置", play: "运行", pause: "暂停", step: "单步", epoch: "轮次",
    lr: "学习率", activation: "激活函数", init: "初始化", optimizer: "优化器",
    reg: "正则化", reg_rate: "正则化率", dropout: "丢弃率",
    data: "数据", dataset: "数据集", ratio: "训练数据比例", noise: "噪声", batch: "批大小",
    seed: "随机种子", network: "网络", hidden_layers: "隐藏层数",
    features_hint: "点击输入特征可以选用或取消。", output: "输出",
    test_loss: "测试损失", train_loss: "训练损失", show_test: "显示测试数据",
    colors_hint: "蓝色为正，橙色为负；圆点是数据（带深色边的是测试数据）。",
    footer: "本页的每个数字都由服务器上 rosenblatt 的自动微分和优化器算出。",
    features: "特征", layer: "第", neurons: "个神经元", add: "增加一个神经元", remove: "减少一个神经元",
    bias: "偏置", weight: "权重", input: "输入", output_node: "输出",
    "dataset.circle": "圆形", "dataset.xor": "异或 (XOR)", "dataset.gauss": "高斯",
    "dataset.spiral": "螺旋", "dataset.reg-plane": "平面（回归）",
    "dataset.reg-gauss": "多高斯（回归）",
    "activation.relu": "ReLU", "activation.tanh": "双曲正切 tanh", "activation.sigmoid": "Sigmoid",
    "activation.linear": "线性",
    "init.zeros": "全零", "init.normal": "N(0, 0.01²)", "init.xavier": "Xavier", "init.kaiming": "Kaiming (He)",
    "optimizer.sgd": "随机梯度下降 SGD", "optimizer.momentum": "SGD + 动量 0.9", "optimizer.adam": "Adam",
    "reg.none": "无", "reg.l1": "L1", "reg.l2": "L2",
    bad_param: "已忽略错误的设置，改用默认值：", ended: "会话已结束，正在新建。",
    full: "服务器已满：", diverged: "训练已停止：",
  },
};
const FEATURE_LABELS = {x1: "x₁", x2: "x₂", x1sq: "x₁²", x2sq: "x₂²", x1x2: "x₁x₂",
                        sinx1: "sin x₁", sinx2: "sin x₂"};

// ---- state ---------------------------------------------------------------------------------------
let schema = null;          // /api/schema
let params = {};            // the session's settings, in the URL's vocabulary
let lang = "en";
let session = null;         // id
let source = null;          // EventSource
let last = null;            // the last state drawn
let points = {train: [], test: []};
let history = [];
let playing = false;
const $ = (id) => document.getElementById(id);
const t = (key) => (WORDS[lang][key] !== undefined ? WORDS[lang][key] : WORDS.en[key] || key);

// ---- colours: orange (-1) - white (0) - blue (+1), as bytes 0..255 ---------------------------------
const LUT = (() => {
  const neg = [245, 147, 34], pos = [8, 119, 189], white = [232, 234, 235];
  const lut = new Uint8ClampedArray(256 * 3);
  for (let b = 0; b < 256; b++) {
    const v = b / 127.5 - 1, end = v < 0 ? neg : pos, a = Math.abs(v);
    for (let k = 0; k < 3; k++) lut[b * 3 + k] = white[k] + (end[k] - white[k]) * a;
  }
  return lut;
})();
function colour(v) {
  const b = Math.max(0, Math.min(255, Math.round((v + 1) * 127.5)));
  return `rgb(${LUT[b * 3]},${LUT[b * 3 + 1]},${LUT[b * 3 + 2]})`;
}

function drawPicture(canvas, b64, res) {
  // a neuron's GRID x GRID bytes -> the canvas, scaled up smoothly
  const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  const small = document.createElement("canvas");
  small.width = small.height = res;
  const ctx = small.getContext("2d"), img = ctx.createImageData(res, res);
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i] * 3;
    img.data[i * 4] = LUT[b]; img.data[i * 4 + 1] = LUT[b + 1]; img.data[i * 4 + 2] = LUT[b + 2];
    img.data[i * 4 + 3] = 255;
  }
  ctx.putImageData(img, 0, 0);
  const out = canvas.getContext("2d");
  out.imageSmoothingEnabled = true;
  out.drawImage(small, 0, 0, canvas.width, canvas.height);
}

// ---- the URL holds every setting ---------------------------------------------------------------------
function readURL() {
  const q = new URLSearchParams(location.search), out = {};
  for (const [k, v] of q) out[k] = v;
  return out;
}
function writeURL() {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) q.set(k, Array.isArray(v) ? v.join(",") : String(v));
  q.set("lang", lang);
  const search = "?" + q.toString().replace(/%2C/g, ",");
  // only on a change: browsers throttle frequent history calls
  if (search !== location.search) window.history.replaceState(null, "", location.pathname + search);
}

// ---- talking to the server ------------------------------------------------------------------------------
async function api(method, path, body) {
  const r = await fetch(path, {method, headers: {"Content-Type": "application/json"},
                               body: body === undefined ? undefined : JSON.stringify(body)});
  let data = {};
  try { data = await r.json(); } catch (e) { /* no body */ }
  return {status: r.status, ok: r.ok, data};
}

function notify(text) {
  const m = $("message");
  m.textContent = text;
  m.hidden = !text;
}

async function start(requested) {
  // a new session with the requested settings; a bad one is dropped (its default used) and reported
  const wanted = Object.assign({}, requested);
  const dropped = [];
  for (let tries = 0; tries < 20; tries++) {
    const r = await api("POST", "/api/sessions", wanted);
    if (r.status === 400 && r.data.param && r.data.param in wanted) {
      dropped.push(r.data.error);
      delete wanted[r.data.param];
      continue;
    }
    if (!r.ok) { notify(`${t("full")} ${r.data.error || r.status}`); return; }
    notify(dropped.length ? `${t("bad_param")} ${dropped.join("; ")}` : "");
    session = r.data.id;
    receive(r.data);
    listen();
    return;
  }
}

function listen() {
  if (source) source.close();
  source = new EventSource(`/api/sessions/${session}/events`);
  source.onmessage = (e) => receive(JSON.parse(e.data));
  source.addEventListener("closed", () => restart());
  source.onerror = async () => {
    // the stream reconnects by itself unless the session is gone
    const r = await api("GET", `/api/sessions/${session}`);
    if (r.status === 404) { notify(t("ended")); restart(); }
  };
}

function restart() {
  if (source) { source.close(); source = null; }
  session = null;
  start(params);
}

async function configure(change) {
  if (!session) return;
  const r = await api("POST", `/api/sessions/${session}/config`, change);
  if (r.status === 404) { Object.assign(params, change); restart(); return; }
  if (!r.ok) { notify(r.data.error || String(r.status)); syncControls(); return; }
  notify("");
  params = r.data.params;
  writeURL();
  syncControls();
}

async function command(name) {
  if (!session) return;
  const r = await api("POST", `/api/sessions/${session}/${name}`);
  if (r.status === 404) restart();
}

// ---- drawing ---------------------------------------------------------------------------------------------
function receive(s) {
  if (s.train) { points = {train: s.train, test: s.test}; }
  if (s.history) history = s.history.slice();
  else if (!history.length || s.epoch > history[history.length - 1][0])
    history.push([s.epoch, s.trainLoss, s.testLoss]);
  params = s.params;
  playing = s.playing;
  last = s;
  writeURL();
  syncControls();
  $("epoch").textContent = String(s.epoch).padStart(6, "0");
  $("test-loss").textContent = fmt(s.testLoss);
  $("train-loss").textContent = fmt(s.trainLoss);
  $("play").textContent = t(playing ? "pause" : "play");
  if (s.error) notify(`${t("diverged")} ${s.error}`);
  drawNetwork(s);
  drawBoundary(s);
  drawCurve();
}

function fmt(x) { return x === null || x === undefined ? "NaN" : x.toFixed(3); }

function drawBoundary(s) {
  const canvas = $("boundary"), ctx = canvas.getContext("2d");
  const out = s.pictures[s.pictures.length - 1][0];
  drawPicture(canvas, out, s.grid);
  const scale = canvas.width / (2 * s.extent);
  const draw = (p, ring) => {
    const x = (p[0] + s.extent) * scale, y = (s.extent - p[1]) * scale;
    ctx.beginPath();
    ctx.arc(x, y, 3, 0, 2 * Math.PI);
    ctx.fillStyle = colour(p[2] * 1.0);
    ctx.fill();
    ctx.lineWidth = ring ? 1.5 : 1;
    ctx.strokeStyle = ring ? "#222" : "#fff";
    ctx.stroke();
  };
  points.train.forEach((p) => draw(p, false));
  if ($("show-test").checked) points.test.forEach((p) => draw(p, true));
}

function drawCurve() {
  const canvas = $("curve"), ctx = canvas.getContext("2d"), w = canvas.width, h = canvas.height;
  ctx.clearRect(0, 0, w, h);
  const finite = history.filter((r) => r[1] !== null && r[2] !== null);
  if (finite.length < 2) return;
  const top = Math.max(...finite.map((r) => Math.max(r[1], r[2])), 1e-9);
  const e0 = finite[0][0], e1 = finite[finite.length - 1][0];
  for (const [k, style] of [[1, "#999"], [2, "#222"]]) {
    ctx.beginPath();
    finite.forEach((r, i) => {
      const x = ((r[0] - e0) / Math.max(e1 - e0, 1)) * (w - 2) + 1, y = h - 1 - (r[k] / top) * (h - 4);
      if (i) ctx.lineTo(x, y); else ctx.moveTo(x, y);
    });
    ctx.strokeStyle = style;
    ctx.lineWidth = 1.5;
    ctx.stroke();
  }
}

// The network: a column of input features, one column per hidden layer, the output node.
const NODE = 34, ROW = 46, TOP = 40;
let COL = 120;              // narrower for deep networks, so the page keeps its three columns
let structure = "";

function drawNetwork(s) {
  const feats = schema.features, used = s.params.features, layers = s.params.layers;
  const key = JSON.stringify([used, layers, lang]);
  const box = $("network");
  const cols = [feats.length, ...layers, 1];
  if (key !== structure) {
    structure = key;
    COL = Math.max(90, Math.min(120, Math.floor(600 / (cols.length - 1))));
    box.querySelectorAll(".node, .layer-head").forEach((n) => n.remove());
    cols.forEach((n, c) => {
      for (let j = 0; j < n; j++) box.appendChild(makeNode(c, j, cols.length, feats));
      if (c > 0 && c < cols.length - 1) box.appendChild(layerHead(c - 1, n));
    });
    const height = TOP + Math.max(...cols) * ROW + 10;
    box.style.width = `${(cols.length - 1) * COL + NODE + 70}px`;
    box.style.height = `${height}px`;
    $("links").setAttribute("width", box.style.width);
    $("links").setAttribute("height", height);
  }
  // pictures
  box.querySelectorAll(".node").forEach((node) => {
    const c = +node.dataset.col, j = +node.dataset.row;
    let pic = null;
    if (c === 0) {
      const k = used.indexOf(feats[j]);
      node.classList.toggle("off", k < 0);
      if (k >= 0) pic = s.pictures[0][k];
    } else pic = s.pictures[c][j];
    const canvas = node.querySelector("canvas");
    if (pic) drawPicture(canvas, pic, s.grid);
    else canvas.getContext("2d").clearRect(0, 0, canvas.width, canvas.height);
  });
  drawLinks(s, cols, feats, used);
}

function nodeXY(c, j) { return [c * COL + NODE / 2 + 50, TOP + j * ROW + NODE / 2]; }

function makeNode(c, j, ncols, feats) {
  const node = document.createElement("div");
  node.className = "node";
  node.dataset.col = c; node.dataset.row = j;
  const [x, y] = nodeXY(c, j);
  node.style.left = `${x - NODE / 2}px`; node.style.top = `${y - NODE / 2}px`;
  const canvas = document.createElement("canvas");
  canvas.width = canvas.height = NODE;
  node.appendChild(canvas);
  if (c === 0) {
    const name = feats[j];
    node.dataset.testid = `feature-${name}`;
    node.setAttribute("data-testid", `feature-${name}`);
    const label = document.createElement("span");
    label.className = "feature-label";
    label.textContent = FEATURE_LABELS[name];
    node.appendChild(label);
    node.addEventListener("click", () => toggleFeature(name));
  } else {
    node.setAttribute("data-testid", c === ncols - 1 ? "node-output" : `node-${c - 1}-${j}`);
  }
  node.addEventListener("mousemove", (e) => showTip(e, nodeTip(c, j, ncols, feats)));
  node.addEventListener("mouseleave", hideTip);
  return node;
}

function nodeTip(c, j, ncols, feats) {
  if (c === 0) return `${t("input")} ${FEATURE_LABELS[feats[j]]}`;
  const b = last && last.biases[c - 1] ? last.biases[c - 1][j] : null;
  const what = c === ncols - 1 ? t("output_node") : `${t("layer")} ${c} #${j + 1}`;
  return `${what}: ${t("bias")} = ${b === null ? "NaN" : b.toFixed(4)}`;
}

function layerHead(i, n) {
  const head = document.createElement("div");
  head.className = "layer-head";
  head.style.left = `${nodeXY(i + 1, 0)[0] - 40}px`;
  const minus = button("−", t("remove"), () => setNeurons(i, n - 1), `remove-neuron-${i}`);
  const plus = button("+", t("add"), () => setNeurons(i, n + 1), `add-neuron-${i}`);
  const label = document.createElement("span");
  label.textContent = lang === "zh" ? `${n} ${t("neurons")}` : `${n} ${t("neurons")}`;
  head.append(minus, plus, label);
  return head;
}

function button(text, title, onclick, testid) {
  const b = document.createElement("button");
  b.type = "button"; b.textContent = text; b.title = title;
  b.setAttribute("data-testid", testid);
  b.addEventListener("click", onclick);
  return b;
}

function drawLinks(s, cols, feats, used) {
  const svg = $("links");
  while (svg.firstChild) svg.removeChild(svg.firstChild);
  const ns = "http://www.w3.org/2000/svg";
  s.weights.forEach((W, l) => {
    // W is (out, in); the inputs of layer 0 are the used features, placed at their rows
    const fromRows = l === 0 ? used.map((f) => feats.indexOf(f)) : W[0] ? W[0].map((_, k) => k) : [];
    W.forEach((row, j) => row.forEach((w, k) => {
      const [x1, y1] = nodeXY(l, fromRows[k]), [x2, y2] = nodeXY(l + 1, j);
      const path = document.createElementNS(ns, "path");
      const mid = (x1 + x2) / 2;
      path.setAttribute("d", `M${x1 + NODE / 2},${y1} C${mid},${y1} ${mid},${y2} ${x2 - NODE / 2},${y2}`);
      const v = w === null ? 0 : w;
      path.setAttribute("stroke", colour(Math.max(-1, Math.min(1, v))));
      path.setAttribute("stroke-width", String(Math.min(0.5 + Math.abs(v) * 2, 6)));
      path.setAttribute("class", "link");
      // a wide invisible twin catches the mouse on thin links
      const hit = path.cloneNode();
      hit.setAttribute("class", "link-hit");
      hit.setAttribute("stroke-width", "8");
      hit.setAttribute("data-testid", `link-${l}-${k}-${j}`);
      hit.addEventListener("mousemove", (e) => showTip(e, `${t("weight")} = ${w === null ? "NaN" : w.toFixed(4)}`));
      hit.addEventListener("mouseleave", hideTip);
      svg.append(path, hit);
    }));
  });
}

function showTip(e, text) {
  const tip = $("tooltip");
  tip.textContent = text;
  tip.hidden = false;
  tip.style.left = `${e.pageX + 12}px`;
  tip.style.top = `${e.pageY + 12}px`;
}
function hideTip() { $("tooltip").hidden = true; }

// ---- controls ----------------------------------------------------------------------------------------
function options(select, values, label) {
  select.innerHTML = "";
  for (const v of values) {
    const o = document.createElement("option");
    o.value = String(v);
    o.dataset.key = label ? label(v) : "";
    o.textContent = label ? t(label(v)) : String(v);
    select.appendChild(o);
  }
}

function buildControls() {
  options($("dataset"), Object.keys(schema.datasets), (v) => `dataset.${v}`);
  options($("activation"), schema.activations, (v) => `activation.${v}`);
  options($("init"), schema.inits, (v) => `init.${v}`);
  options($("optimizer"), schema.optimizers, (v) => `optimizer.${v}`);
  options($("reg"), schema.regularizations, (v) => `reg.${v}`);
  options($("lr"), schema.learningRates);
  options($("reg_rate"), schema.regRates);
  options($("dropout"), schema.dropouts);
  options($("hidden-layers"), [...Array(schema.maxLayers + 1).keys()]);
  document.querySelectorAll("[data-param]").forEach((el) => {
    el.addEventListener("change", () => {
      const name = el.dataset.param;
      const value = el.type === "range" || el.type === "number" || ["lr", "reg_rate", "dropout"].includes(name)
        ? Number(el.value) : el.value;
      configure({[name]: value});
    });
    if (el.type === "range") el.addEventListener("input", () => { $(`${el.id}-value`).textContent = el.value; });
  });
  $("hidden-layers").addEventListener("change", () => {
    const n = Number($("hidden-layers").value), layers = params.layers.slice(0, n);
    while (layers.length < n) layers.push(layers.length ? layers[layers.length - 1] : 4);
    configure({layers});
  });
  $("play").addEventListener("click", () => command(playing ? "pause" : "play"));
  $("step").addEventListener("click", () => command("step"));
  $("reset").addEventListener("click", () => command("reset"));
  $("lang").addEventListener("click", () => setLang(lang === "en" ? "zh" : "en"));
  $("show-test").addEventListener("change", () => last && drawBoundary(last));
}

function setNeurons(i, n) {
  if (n < 1 || n > schema.maxNeurons) return;
  const layers = params.layers.slice();
  layers[i] = n;
  configure({layers});
}

function toggleFeature(name) {
  const used = params.features.includes(name)
    ? params.features.filter((f) => f !== name) : [...params.features, name];
  if (used.length) configure({features: used});
}

function ensureOption(select, value) {
  // a value typed into the URL need not be one of the page's choices
  if (![...select.options].some((o) => o.value === value)) {
    const o = document.createElement("option");
    o.value = o.textContent = value;
    select.appendChild(o);
  }
}

function syncControls() {
  document.querySelectorAll("[data-param]").forEach((el) => {
    const v = params[el.dataset.param];
    if (v === undefined) return;
    if (el.tagName === "SELECT") ensureOption(el, String(v));
    el.value = String(v);
    if (el.type === "range") $(`${el.id}-value`).textContent = String(v);
  });
  $("hidden-layers").value = String(params.layers.length);
}

function setLang(next) {
  lang = next === "zh" ? "zh" : "en";
  document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
  document.querySelectorAll("[data-i18n]").forEach((el) => { el.textContent = t(el.dataset.i18n); });
  document.querySelectorAll("option[data-key]").forEach((o) => { if (o.dataset.key) o.textContent = t(o.dataset.key); });
  $("lang").textContent = lang === "en" ? "中文" : "English";
  $("play").textContent = t(playing ? "pause" : "play");
  document.title = t("title");
  if (last) { structure = ""; drawNetwork(last); }
  if (Object.keys(params).length) writeURL();
}

// ---- start ---------------------------------------------------------------------------------------------
async function main() {
  schema = (await api("GET", "/api/schema")).data;
  buildControls();
  const requested = readURL();
  setLang(requested.lang);
  delete requested.lang;
  await start(requested);
  // the session ends with its page; a page restored from the back-forward cache starts a new one
  window.addEventListener("pagehide", () => {
    if (session) navigator.sendBeacon(`/api/sessions/${session}/close`);
  });
  window.addEventListener("pageshow", (e) => { if (e.persisted) restart(); });
}
main();
