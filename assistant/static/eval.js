// The eval workbench page. Everything shown is inserted as text (textContent / text nodes), never as HTML.
"use strict";

const $ = (sel) => document.querySelector(sel);
const POLL_MS = 500;
const ACTIVE = ["queued", "running"];
const PAGE_ROWS = 200;
const state = { options: null, runs: [], run: null, items: [], outcome: "all", polling: null, rows: PAGE_ROWS };

function el(tag, props = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "class") e.className = v;
    else if (k === "text") e.textContent = String(v);
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else if (k === "dataset") Object.assign(e.dataset, v);
    else e.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

async function api(url, opts = {}) {
  const res = await fetch(url, opts);
  let data = null;
  try { data = await res.json(); } catch (_) { data = null; }
  if (!res.ok) throw new Error((data && data.error) || `请求失败（${res.status}）`);
  return data;
}

function showError(message) {
  const box = $("#ev-error");
  box.textContent = message || "";
  box.hidden = !message;
}

// Evidence spans are code-point offsets (Python); slice by code points, not UTF-16 units.
function highlighted(text, spans) {
  const cps = Array.from(text);
  const frag = document.createDocumentFragment();
  let last = 0;
  for (const [s, e] of spans || []) {
    frag.append(cps.slice(last, s).join(""));
    frag.append(el("mark", { class: "ev-evidence", text: cps.slice(s, e).join("") }));
    last = e;
  }
  frag.append(cps.slice(last).join(""));
  return frag;
}

function reportName(file) {
  const known = state.options && state.options.reports.find((r) => r.file === file);
  return known ? known.name : file;
}

function tag(label, passed) {
  return el("span", { class: `ev-tag ${passed ? "pass" : "fail"}`, text: label });
}

// -- options and the run form -------------------------------------------------------------------

async function loadOptions() {
  const o = (state.options = await api("/api/eval/options"));
  $("#ev-max").textContent = String(o.max_mb);
  const source = $("#ev-source");
  source.replaceChildren(...o.files.map((f) => el("option", { value: f, text: f, selected: f === o.default_file })));
  $("#ev-modes").replaceChildren(
    ...o.modes.map((m, i) =>
      el("label", {}, el("input", { type: "radio", name: "ev-mode", value: m.id, checked: i === 0 }), " ", m.label)
    )
  );
  if (o.reports.length > 1) {
    $("#ev-reports-box").hidden = false;
    $("#ev-reports").replaceChildren(
      ...o.reports.map((r) =>
        el("label", { title: r.file }, el("input", { type: "checkbox", name: "ev-report", value: r.file, checked: true }), " ", r.name)
      )
    );
    $("#ev-narrow-box").hidden = !o.narrow;
  }
  $("#ev-file").addEventListener("change", () => {
    const file = $("#ev-file").files[0];
    $("#ev-file-name").textContent = file ? `${file.name}（${(file.size / 1024).toFixed(1)} KB）` : "未选择文件";
    document.querySelector('input[name="ev-src"][value="upload"]').checked = true;
  });
  source.addEventListener("change", () => {
    document.querySelector('input[name="ev-src"][value="bundled"]').checked = true;
  });
}

function runParams() {
  const p = new URLSearchParams();
  const mode = document.querySelector('input[name="ev-mode"]:checked');
  if (mode) p.set("mode", mode.value);
  p.set("split", $("#ev-split").value);
  const limit = $("#ev-limit").value.trim();
  if (limit) p.set("limit", limit);
  const label = $("#ev-label").value.trim();
  if (label) p.set("label", label);
  const boxes = [...document.querySelectorAll('input[name="ev-report"]')];
  const chosen = boxes.filter((b) => b.checked).map((b) => b.value);
  if (chosen.length && chosen.length < boxes.length) chosen.forEach((r) => p.append("reports", r));
  if ($("#ev-narrow").checked && !$("#ev-narrow-box").hidden) p.set("narrow", "true");
  return p;
}

async function startRun(event) {
  event.preventDefault();
  showError("");
  const params = runParams();
  const upload = document.querySelector('input[name="ev-src"]:checked').value === "upload";
  const opts = { method: "POST" };
  if (upload) {
    const file = $("#ev-file").files[0];
    if (!file) return showError("请选择要上传的评测文件。");
    if (file.size > state.options.max_bytes) {
      return showError(`评测文件有误，未运行：${file.name}：文件大小 ${(file.size / 1e6).toFixed(1)} MB，超过 ${state.options.max_mb} MB 的上限`);
    }
    params.set("name", file.name);
    opts.body = file;
    opts.headers = { "Content-Type": "application/octet-stream" };
  } else {
    params.set("source", $("#ev-source").value);
  }
  $("#ev-start").disabled = true;
  try {
    const { id } = await api(`/api/eval/runs?${params}`, opts);
    await refreshRuns();
    watch(id);
  } catch (err) {
    showError(err.message);
    $("#ev-start").disabled = false;
  }
}

function watch(id) {
  clearTimeout(state.polling);
  const box = $("#ev-progress-box");
  box.hidden = false;
  box.dataset.run = String(id);
  const tick = async () => {
    let s;
    try { s = await api(`/api/eval/runs/${id}/status`); } catch (err) { showError(err.message); return; }
    $("#ev-progress").max = Math.max(1, s.total);
    $("#ev-progress").value = s.done;
    $("#ev-progress-text").textContent = `运行 #${id}：已完成 ${s.done} / ${s.total} 题（${s.status_label}）`;
    if (ACTIVE.includes(s.status)) {
      state.polling = setTimeout(tick, POLL_MS);
      return;
    }
    $("#ev-start").disabled = false;
    $("#ev-stop").disabled = true;
    if (s.error) showError(`运行 #${id} 出错：${s.error}`);
    await refreshRuns();
    await showRun(id);
  };
  $("#ev-stop").disabled = false;
  tick();
}

async function stopRun() {
  const id = $("#ev-progress-box").dataset.run;
  if (!id) return;
  $("#ev-stop").disabled = true;
  try { await api(`/api/eval/runs/${id}/stop`, { method: "POST" }); } catch (err) { showError(err.message); }
}

// -- the runs list ------------------------------------------------------------------------------

function runName(r) {
  return `#${r.id} ${r.label || r.source}`;
}

async function refreshRuns() {
  state.runs = await api("/api/eval/runs");
  const body = $("#ev-runs tbody");
  body.replaceChildren(
    ...state.runs.map((r) =>
      el("tr", { dataset: { run: r.id } },
        el("td", { text: `#${r.id}` }),
        el("td", { text: r.created_at.replace("T", " ").slice(0, 19) }),
        el("td", { text: r.label }),
        el("td", { text: r.source }),
        el("td", { text: r.mode_label }),
        el("td", { class: "num", text: `${r.done}/${r.total}` }),
        el("td", { class: "num", text: r.answer_accuracy }),
        el("td", { text: r.status_label }),
        el("td", {},
          el("button", { type: "button", class: "ev-view", text: "查看", onclick: () => showRun(r.id) }), " ",
          el("button", { type: "button", text: "删除", onclick: () => deleteRun(r), disabled: ACTIVE.includes(r.status) })
        )
      )
    )
  );
  const any = state.runs.length > 0;
  $("#ev-runs").hidden = !any;
  $("#ev-runs-empty").hidden = any;
  $("#ev-compare-form").hidden = state.runs.length < 2;
  // A new run resets the choice to the two latest (B = the newest); otherwise the user's choice stays.
  const newest = state.runs.length ? state.runs[0].id : null;
  const reset = newest !== state.newestRun;
  state.newestRun = newest;
  for (const [sel, pick] of [["#ev-cmp-a", 1], ["#ev-cmp-b", 0]]) {
    const select = $(sel);
    const keep = select.value;
    select.replaceChildren(...state.runs.map((r) => el("option", { value: r.id, text: runName(r) })));
    if (!reset && keep && state.runs.some((r) => String(r.id) === keep)) select.value = keep;
    else if (state.runs[pick]) select.value = String(state.runs[pick].id);
  }
}

async function deleteRun(r) {
  if (!window.confirm(`删除运行 #${r.id}？`)) return;
  try { await api(`/api/eval/runs/${r.id}`, { method: "DELETE" }); } catch (err) { return showError(err.message); }
  if (state.run && state.run.id === r.id) $("#ev-result").hidden = true;
  await refreshRuns();
}

// -- one run's results ----------------------------------------------------------------------------

function metaLine(r) {
  const reports = (r.reports || []).map((x) => `${x.report || "报告"}（${(x.sha256 || "").slice(0, 12)}）`).join("，");
  const parts = [
    `时间 ${r.created_at.replace("T", " ").slice(0, 19)}`, `评测集 ${r.source}`, `模式 ${r.mode_label}`,
    `代码版本 ${r.code_version || "未知"}`, reports && `报告 ${reports}`, `状态 ${r.status_label}（${r.done}/${r.total} 题）`,
  ];
  return parts.filter(Boolean).join(" · ");
}

async function showRun(id) {
  let view;
  try { view = await api(`/api/eval/runs/${id}`); } catch (err) { return showError(err.message); }
  const r = (state.run = view.run);
  state.items = view.items;
  $("#ev-result").hidden = false;
  $("#ev-result-h").textContent = `运行结果 ${runName(r)}`;
  $("#ev-result-meta").textContent = metaLine(r);
  for (const kind of ["html", "csv", "jsonl"]) $(`#ev-export-${kind}`).href = `/api/eval/runs/${id}/export.${kind}`;
  $("#ev-summary").replaceChildren(
    ...view.metrics.map((m) => el("div", { class: "ev-card", dataset: { metric: m.key } }, el("b", { text: m.text }), el("span", { text: m.label })))
  );
  $("#ev-outcomes").replaceChildren(
    el("thead", {}, el("tr", {}, el("th", { text: "结果" }), el("th", { text: "题数" }), el("th", { text: "含义" }))),
    el("tbody", {}, ...view.outcomes.map((o) =>
      el("tr", { class: "ev-outcome-row", dataset: { outcome: o.outcome }, onclick: () => filterReason(o.outcome) },
        el("td", {}, tag(o.label, o.outcome === "passed")), el("td", { class: "num", text: o.count }), el("td", { text: o.hint })
      )
    ))
  );
  const cats = view.categories;
  $("#ev-categories").replaceChildren(
    el("thead", {}, el("tr", {}, ...cats.columns.map((c) => el("th", { text: c })))),
    el("tbody", {}, ...cats.rows.map((row) => el("tr", {}, el("td", { text: row.name }), ...row.cells.map((c) => el("td", { class: "num", text: c })))))
  );
  $("#ev-chart").src = `/api/eval/runs/${id}/chart.svg?done=${r.done}`;
  fillFilters(view);
  renderItems();
  $("#ev-result").scrollIntoView({ block: "start" });
}

function fillFilters(view) {
  const options = (values, all) => [el("option", { value: "", text: all }), ...values.map((v) => el("option", { value: v.value, text: v.label }))];
  $("#ev-filter-reason").replaceChildren(
    ...options(view.outcomes.filter((o) => o.outcome !== "passed").map((o) => ({ value: o.outcome, label: `${o.label}（${o.count}）` })), "全部")
  );
  const cats = [...new Set(state.items.map((i) => i.category))].sort();
  $("#ev-filter-category").replaceChildren(...options(cats.map((c) => ({ value: c, label: c })), "全部"));
  const reports = [...new Set(state.items.flatMap((i) => i.reports))].sort();
  $("#ev-filter-report").replaceChildren(...options(reports.map((c) => ({ value: c, label: reportName(c) })), "全部"));
  $("#ev-filter-report-box").hidden = reports.length === 0;
  setOutcome("all");
  $("#ev-search").value = "";
}

function setOutcome(which) {
  state.outcome = which;
  for (const b of document.querySelectorAll("#ev-filter-outcome button")) b.setAttribute("aria-pressed", String(b.dataset.filter === which));
}

function filterReason(outcome) {
  if (outcome === "passed") { setOutcome("passed"); $("#ev-filter-reason").value = ""; }
  else { setOutcome("failed"); $("#ev-filter-reason").value = outcome; }
  renderItems();
  $("#ev-items").scrollIntoView({ block: "start" });
}

function visibleItems() {
  const reason = $("#ev-filter-reason").value;
  const category = $("#ev-filter-category").value;
  const report = $("#ev-filter-report").value;
  const q = $("#ev-search").value.trim().toLowerCase();
  return state.items.filter((i) => {
    if (state.outcome === "passed" && !i.passed) return false;
    if (state.outcome === "failed" && i.passed) return false;
    if (state.outcome === "refused" && !i.refused) return false;
    if (reason && i.outcome !== reason) return false;
    if (category && i.category !== category) return false;
    if (report && !i.reports.includes(report)) return false;
    if (q && ![i.id, i.question, i.answer].some((t) => String(t).toLowerCase().includes(q))) return false;
    return true;
  });
}

function renderItems(more = false) {
  state.rows = more ? state.rows + PAGE_ROWS : PAGE_ROWS;
  const matching = visibleItems();
  const shown = matching.slice(0, state.rows);
  $("#ev-count").textContent = `符合条件 ${matching.length} / ${state.items.length} 题`;
  $("#ev-more").hidden = matching.length <= shown.length;
  $("#ev-more").textContent = `显示更多（还有 ${matching.length - shown.length} 题）`;
  $("#ev-items tbody").replaceChildren(
    ...shown.map((i) =>
      el("tr", { dataset: { pos: i.pos, outcome: i.outcome }, tabindex: 0, onclick: () => openDetail(i.pos),
                 onkeydown: (e) => { if (e.key === "Enter") openDetail(i.pos); } },
        el("td", { text: i.id }),
        el("td", { text: i.question }),
        el("td", { text: i.category }),
        el("td", {}, tag(i.outcome_label, i.passed), i.wrong_report ? el("span", { class: "ev-tag fail", text: "报告不符" }) : null),
        el("td", { class: "num", text: i.hit_rank == null ? "—" : `第 ${i.hit_rank} 条` }),
        el("td", { text: i.answer })
      )
    )
  );
}

// -- one item's detail ----------------------------------------------------------------------------

function passage(p, head) {
  return el("div", { class: `ev-passage${p.has_evidence ? " has-evidence" : ""}` },
    el("span", { class: "ev-sec", text: [head, reportName(p.report_name), p.section].filter(Boolean).join(" · ") }),
    highlighted(p.text, p.spans)
  );
}

async function openDetail(pos) {
  let d;
  try { d = await api(`/api/eval/runs/${state.run.id}/items/${pos}`); } catch (err) { return showError(err.message); }
  const dl = el("dl", { class: "ev-detail" });
  const row = (term, ...dd) => dl.append(el("dt", { text: term }), ...dd.map((x) => (x instanceof Node && x.tagName === "DD" ? x : el("dd", {}, x))));
  row("结果", el("span", {}, tag(d.outcome_label, d.passed), " ", d.outcome_hint));
  row("问题", d.question);
  if (d.history.length) row("对话历史", ...d.history.map(([q, a]) => `问：${q}\n答：${a}`));
  if (d.standalone_question && d.standalone_question !== d.question) row("理解为（独立问题）", d.standalone_question);
  if (d.reports.length) row("证据所在报告", d.reports.map(reportName).join("、"));
  if (d.facts.length) row("应含事实", ...d.facts.map((f) => el("dd", { class: `ev-fact ${f.found ? "found" : "missing"}`, text: `${f.found ? "✓ 已含" : "✗ 缺少"}：${f.fact}` })));
  else row("应含事实", "（报告无答案，应拒答）");
  if (d.evidence.length) row("证据原文", ...d.evidence);
  row("回答", d.answer);
  if (d.notice) row("提示", d.notice);
  if (d.rule) row("判定规则", d.rule);
  if (d.route) row("报告路由规则", d.answered_from.length ? `${d.route}（${d.answered_from.map(reportName).join("、")}）` : d.route);
  const mode = (state.options.modes.find((m) => m.id === d.mode) || { label: d.mode }).label;
  row("模式 / 延迟", `${mode} · ${d.latency_ms == null ? "—" : Math.round(d.latency_ms) + " ms"}`);
  row("引用", ...(d.citations.length ? d.citations.map((c) => passage(c, `[${c.n}]`)) : ["（无引用）"]));
  row("检索到的段落（黄色为证据原文）", ...(d.retrieved.length ? d.retrieved.map((p) => passage(p, `第 ${p.rank} 条 · 得分 ${p.score}`)) : ["（无）"]));
  $("#ev-detail-h").textContent = `题目详情 ${d.id}`;
  $("#ev-detail-body").replaceChildren(dl);
  const dialog = $("#ev-detail");
  if (!dialog.open) dialog.showModal();
}

// -- comparing two runs ----------------------------------------------------------------------------

async function compareRuns() {
  const a = $("#ev-cmp-a").value, b = $("#ev-cmp-b").value;
  if (!a || !b || a === b) return showError("请选择两次不同的运行进行对比。");
  showError("");
  let c;
  try { c = await api(`/api/eval/compare?a=${encodeURIComponent(a)}&b=${encodeURIComponent(b)}`); } catch (err) { return showError(err.message); }
  $("#ev-cmp").hidden = false;
  $("#ev-cmp-meta").textContent =
    `A = ${runName(c.a)}（${c.a.mode_label}），B = ${runName(c.b)}（${c.b.mode_label}）。共同题目 ${c.common} 道，` +
    `结果变化 ${c.changed.length} 道，结果相同但回答不同 ${c.answers_differ} 道；仅在 A 中 ${c.only_a} 道，仅在 B 中 ${c.only_b} 道。`;
  $("#ev-cmp-metrics").replaceChildren(
    el("thead", {}, el("tr", {}, ...["指标", "A", "B", "变化"].map((t) => el("th", { text: t })))),
    el("tbody", {}, ...c.metrics.map((m) =>
      el("tr", { dataset: { metric: m.key } }, el("td", { text: m.label }), el("td", { class: "num", text: m.a }),
        el("td", { class: "num", text: m.b }), el("td", { class: `num ${m.direction}`, text: m.delta })))
    )
  );
  $("#ev-cmp-count").textContent = String(c.changed.length);
  const side = (name, s) => el("div", { class: "ev-cmp-side" }, el("b", { text: `${name}：` }), tag(s.outcome_label, s.outcome === "passed"), "\n", s.answer);
  $("#ev-cmp-items").replaceChildren(
    ...(c.changed.length ? c.changed.map((x) =>
      el("div", { class: "ev-cmp-item", dataset: { id: x.id, change: x.change } },
        el("h4", {}, `${x.id} · ${x.category} · `, el("span", { class: x.change === "fixed" ? "better" : x.change === "broken" ? "worse" : "", text: x.change_label }), `：${x.question}`),
        side("A", x.a), side("B", x.b))
    ) : [el("p", { class: "ev-note", text: "两次运行中没有结果变化的题目。" })])
  );
  $("#ev-cmp").scrollIntoView({ block: "start" });
}

// -- wiring ------------------------------------------------------------------------------------------

async function init() {
  $("#ev-form").addEventListener("submit", startRun);
  $("#ev-stop").addEventListener("click", stopRun);
  $("#ev-compare").addEventListener("click", compareRuns);
  $("#ev-detail-close").addEventListener("click", () => $("#ev-detail").close());
  for (const b of document.querySelectorAll("#ev-filter-outcome button")) {
    b.addEventListener("click", () => {
      setOutcome(b.dataset.filter);
      if (b.dataset.filter !== "failed") $("#ev-filter-reason").value = "";
      renderItems();
    });
  }
  for (const sel of ["#ev-filter-reason", "#ev-filter-category", "#ev-filter-report"]) {
    $(sel).addEventListener("change", () => {
      if (sel === "#ev-filter-reason" && $(sel).value) setOutcome("failed");
      renderItems();
    });
  }
  $("#ev-search").addEventListener("input", () => renderItems());
  $("#ev-more").addEventListener("click", () => renderItems(true));
  try {
    await loadOptions();
    await refreshRuns();
  } catch (err) {
    return showError(err.message);
  }
  const active = state.runs.find((r) => ACTIVE.includes(r.status));
  if (active) watch(active.id);
  else if (state.runs.length) await showRun(state.runs[0].id);
}

document.addEventListener("DOMContentLoaded", init);
