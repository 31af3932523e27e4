// Kaizen sandbox: draws the emulated Slack workspace and sends what the visitor does to the
// sandbox API, which turns it into signed Slack requests to the bot. Plain DOM, no framework:
// every piece of text goes in with textContent, never innerHTML.
"use strict";

const API = "/sandbox/api";
const POLL_MS = 500;

const S = {
  me: localStorage.getItem("kaizen.sandbox.me") || "U0DEMO001",
  current: localStorage.getItem("kaizen.sandbox.current") || "C0DEMOML01",
  tab: "messages",
  thread: null, // {channel, ts}
  version: 0,
  data: null,
  forms: {}, // view id -> {block_id: {action_id: value}}
  modalKey: null,
  homeKey: null,
  seen: JSON.parse(localStorage.getItem("kaizen.sandbox.seen") || "{}"),
  busy: false,
};

const EMOJI = {
  white_check_mark: "✅", warning: "⚠️", eyes: "👀", wastebasket: "🗑️", sparkles: "✨",
  repeat: "🔁", information_source: "ℹ️", zzz: "💤", wave: "👋", thinking_face: "🤔",
  tada: "🎉", sunrise: "🌅", seedling: "🌱", palm_tree: "🌴", new: "🆕", hourglass: "⌛",
  gear: "⚙️", clipboard: "📋", busts_in_silhouette: "👥", bust_in_silhouette: "👤", bell: "🔔",
  chart_with_upwards_trend: "📈", chart_with_downwards_trend: "📉", x: "❌", heavy_check_mark: "✔️",
  question: "❓", bulb: "💡", rocket: "🚀", memo: "📝", calendar: "📅", pushpin: "📌",
  arrow_up: "⬆️", arrow_down: "⬇️", arrow_right: "➡️", fire: "🔥", lock: "🔒", robot_face: "🤖",
  large_green_circle: "🟢", large_yellow_circle: "🟡", red_circle: "🔴", hammer_and_wrench: "🛠️",
  stopwatch: "⏱️", mag: "🔍", no_entry: "⛔", thumbsup: "👍", "+1": "👍", smile: "😄",
};

// ------------------------------------------------------------------ tiny DOM helpers

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

const $ = (id) => document.getElementById(id);

function toast(message, isError = true) {
  const box = $("toast");
  box.textContent = message;
  box.className = isError ? "error" : "info";
  box.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { box.hidden = true; }, isError ? 8000 : 4000);
}

// ------------------------------------------------------------------ people, channels, time

function users() { return (S.data && S.data.users) || []; }
function userById(id) { return users().find((u) => u.id === id); }
function me() { return userById(S.me) || { id: S.me, display_name: S.me, tz: "UTC" }; }
function conversations() { return (S.data && S.data.conversations) || []; }
function conv(id) { return conversations().find((c) => c.id === id); }
function myIm() { return conversations().find((c) => c.is_im); }
function nameOf(id) {
  const user = userById(id);
  return user ? (user.is_bot ? "Kaizen" : user.display_name) : id;
}
function channelName(id) {
  const c = conv(id);
  return c ? (c.is_im ? "Kaizen" : "#" + c.name) : id;
}

function sandboxNow() {
  const offset = S.data ? S.data.clock.offset : 0;
  return new Date(Date.now() + offset * 1000);
}

function fmt(date, options) {
  try {
    return new Intl.DateTimeFormat("en-GB", { timeZone: me().tz || "UTC", ...options }).format(date);
  } catch (e) {
    return date.toISOString();
  }
}
const fmtTime = (d) => fmt(d, { hour: "2-digit", minute: "2-digit" });
const fmtDay = (d) => fmt(d, { weekday: "short", day: "numeric", month: "short" });
const fmtFull = (d) => fmt(d, { weekday: "short", day: "numeric", month: "short", hour: "2-digit", minute: "2-digit" });

// ------------------------------------------------------------------ Slack mrkdwn

function decodeEntities(text) {
  return text.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");
}

function emojify(text) {
  return text.replace(/:([a-z0-9_+-]+):/g, (whole, name) => EMOJI[name] || whole);
}

// Text between formatting: <...> tokens become mentions, links and dates; entities decode.
function appendTokens(parent, src, { emoji = true } = {}) {
  const parts = src.split(/<([^<>]*)>/);
  parts.forEach((part, index) => {
    if (index % 2 === 0) {
      if (part) parent.append(document.createTextNode(emoji ? emojify(decodeEntities(part)) : decodeEntities(part)));
      return;
    }
    const [target, label] = splitOnce(part, "|");
    if (target.startsWith("@")) {
      parent.append(el("span", { class: "mention", text: "@" + (label || nameOf(target.slice(1))) }));
    } else if (target.startsWith("#")) {
      parent.append(el("span", { class: "mention", text: "#" + (label || channelName(target.slice(1)).replace(/^#/, "")) }));
    } else if (target.startsWith("!date^")) {
      const stamp = Number(target.split("^")[1]);
      parent.append(el("span", { class: "date", title: new Date(stamp * 1000).toISOString(), text: decodeEntities(label || "") }));
    } else if (target.startsWith("!subteam^")) {
      parent.append(el("span", { class: "mention", text: decodeEntities(label || "@group") }));
    } else if (target.startsWith("!")) {
      parent.append(el("span", { class: "mention", text: "@" + target.slice(1) }));
    } else {
      const url = decodeEntities(target);
      const safe = /^(https?:|mailto:)/i.test(url);
      const text = decodeEntities(label || target);
      parent.append(safe ? el("a", { href: url, target: "_blank", rel: "noopener noreferrer", text }) : el("span", { text }));
    }
  });
}

function splitOnce(text, sep) {
  const at = text.indexOf(sep);
  return at < 0 ? [text, ""] : [text.slice(0, at), text.slice(at + 1)];
}

const MARKS = { "*": "strong", "_": "em", "~": "s" };
const WORD = /[A-Za-z0-9]/;

function findCloser(src, mark, from) {
  for (let k = from; k < src.length; k += 1) {
    if (src[k] === "<") {
      const end = src.indexOf(">", k);
      if (end > 0) { k = end; continue; }
    }
    if (src[k] === mark && k > from && !/\s/.test(src[k - 1]) && !(k + 1 < src.length && WORD.test(src[k + 1]))) {
      return k;
    }
  }
  return -1;
}

// One line of mrkdwn: *bold*, _italic_, ~strike~, `code`, with <...> tokens kept whole.
function appendInline(parent, src) {
  let buffer = "";
  const flush = () => { if (buffer) { appendTokens(parent, buffer); buffer = ""; } };
  let i = 0;
  while (i < src.length) {
    const ch = src[i];
    if (ch === "<") {
      const end = src.indexOf(">", i);
      if (end > 0) { buffer += src.slice(i, end + 1); i = end + 1; continue; }
    }
    if (ch === "`") {
      const end = src.indexOf("`", i + 1);
      if (end > i + 1) {
        flush();
        const code = el("code");
        appendTokens(code, src.slice(i + 1, end), { emoji: false });
        parent.append(code);
        i = end + 1;
        continue;
      }
    }
    if (MARKS[ch] && (i === 0 || !WORD.test(src[i - 1])) && i + 1 < src.length && !/\s/.test(src[i + 1])) {
      const end = findCloser(src, ch, i + 1);
      if (end > 0) {
        flush();
        const node = el(MARKS[ch]);
        appendInline(node, src.slice(i + 1, end));
        parent.append(node);
        i = end + 1;
        continue;
      }
    }
    buffer += ch;
    i += 1;
  }
  flush();
}

function mrkdwn(text) {
  const root = el("div", { class: "mrkdwn" });
  const chunks = String(text || "").split("```");
  chunks.forEach((chunk, index) => {
    if (index % 2 === 1) {
      const pre = el("pre");
      appendTokens(pre, chunk.replace(/^\n/, ""), { emoji: false });
      root.append(pre);
      return;
    }
    let quote = null;
    const lines = chunk.split("\n");
    lines.forEach((line, lineIndex) => {
      const quoted = line.match(/^(?:&gt;|>)\s?(.*)$/);
      if (quoted) {
        if (!quote) { quote = el("blockquote"); root.append(quote); }
        const row = el("div");
        appendInline(row, quoted[1]);
        quote.append(row);
        return;
      }
      quote = null;
      const edge = lineIndex === lines.length - 1 || (lineIndex === 0 && index > 0);
      if (line === "" && edge) return; // the newline that ends or starts a fenced block
      const row = el("div", { class: "line" });
      if (line === "") row.append(el("br"));
      else appendInline(row, line);
      root.append(row);
    });
  });
  return root;
}

function textObject(obj, inline = false) {
  if (!obj) return el("span");
  if (typeof obj === "string") return el("span", { class: "bk-invalid", text: "text must be a text object: " + obj });
  if (obj.type === "mrkdwn") {
    const node = mrkdwn(obj.text);
    if (inline) node.classList.add("inline");
    return node;
  }
  const span = el("span", { class: "plain" });
  span.textContent = obj.emoji === false ? decodeEntities(obj.text || "") : emojify(decodeEntities(obj.text || ""));
  return span;
}

function plainText(obj) {
  if (!obj) return "";
  return emojify(decodeEntities(typeof obj === "string" ? obj : obj.text || ""));
}

// ------------------------------------------------------------------ Block Kit

// ctx: {surface: "message"|"modal"|"home", act(action), viewId, form, errors, channel}
function renderBlocks(blocks, ctx) {
  const root = el("div", { class: "blocks" });
  (blocks || []).forEach((block, index) => root.append(renderBlock(block, index, ctx)));
  return root;
}

function renderBlock(block, index, ctx) {
  const blockId = block.block_id || `b${index}`;
  const wrap = el("div", { class: `bk bk-${block.type}`, "data-block-id": blockId });
  switch (block.type) {
    case "header":
      wrap.append(el("h3", {}, textObject(block.text)));
      break;
    case "section": {
      const body = el("div", { class: "bk-section-body" });
      if (block.text) body.append(textObject(block.text));
      if (block.fields) {
        const grid = el("div", { class: "bk-fields" });
        block.fields.forEach((field) => grid.append(el("div", { class: "bk-field" }, textObject(field))));
        body.append(grid);
      }
      wrap.append(body);
      if (block.accessory) wrap.append(el("div", { class: "bk-accessory" }, renderElement(block.accessory, blockId, ctx)));
      break;
    }
    case "context":
      (block.elements || []).forEach((item) => {
        if (item.type === "image") wrap.append(el("img", { src: item.image_url, alt: item.alt_text || "", class: "bk-context-img" }));
        else wrap.append(textObject(item, true));
      });
      break;
    case "divider":
      wrap.append(el("hr"));
      break;
    case "actions":
      (block.elements || []).forEach((element) => wrap.append(renderElement(element, blockId, ctx)));
      break;
    case "image":
      if (block.title) wrap.append(el("div", { class: "bk-image-title" }, textObject(block.title)));
      wrap.append(el("img", { src: block.image_url || (block.slack_file && block.slack_file.url) || "", alt: block.alt_text || "" }));
      break;
    case "input": {
      const label = el("label", { class: "bk-label" }, plainText(block.label));
      if (block.optional) label.append(el("span", { class: "muted", text: " (optional)" }));
      wrap.append(label, renderElement(block.element || {}, blockId, ctx, true));
      if (block.hint) wrap.append(el("div", { class: "bk-hint", text: plainText(block.hint) }));
      const error = ctx.errors && ctx.errors[blockId];
      if (error) { wrap.classList.add("has-error"); wrap.append(el("div", { class: "bk-error", role: "alert", text: error })); }
      break;
    }
    case "rich_text":
      wrap.append(el("div", { text: JSON.stringify(block.elements || []) }));
      break;
    default:
      wrap.classList.add("bk-invalid");
      wrap.textContent = `Unsupported block type: ${block.type}`;
  }
  return wrap;
}

// Form state of a modal: Slack sends every input's value (initial ones too) on submission.
function setValue(ctx, blockId, actionId, value) {
  if (!ctx.form) return;
  ctx.form[blockId] = ctx.form[blockId] || {};
  ctx.form[blockId][actionId] = value;
}
function getValue(ctx, blockId, actionId) {
  return ctx.form && ctx.form[blockId] ? ctx.form[blockId][actionId] : undefined;
}

function optionObject(option) {
  const copy = { text: option.text, value: option.value };
  if (option.description) copy.description = option.description;
  return copy;
}

function allOptions(element) {
  if (element.options) return element.options;
  return (element.option_groups || []).flatMap((group) => group.options || []);
}

function renderElement(element, blockId, ctx, inInput = false) {
  const actionId = element.action_id || "";
  const base = { action_id: actionId, block_id: blockId, type: element.type };
  // Inside an input block a change is kept for submission; elsewhere it is an action at once.
  const changed = (value, action) => {
    if (inInput) setValue(ctx, blockId, actionId, value);
    else ctx.act({ ...base, ...action });
  };
  switch (element.type) {
    case "button": {
      const cls = ["bk-btn", element.style || ""].join(" ").trim();
      return el("button", {
        type: "button",
        class: cls,
        "data-action-id": actionId,
        onclick: () => {
          const go = () => ctx.act({ ...base, value: element.value, text: element.text });
          if (element.confirm) confirmDialog(element.confirm, go);
          else go();
        },
      }, plainText(element.text));
    }
    case "plain_text_input": {
      const current = getValue(ctx, blockId, actionId);
      const initial = current ? current.value : element.initial_value || "";
      const attrs = {
        class: "bk-text",
        "data-action-id": actionId,
        "data-block-id": blockId,
        placeholder: element.placeholder ? plainText(element.placeholder) : "",
        maxlength: element.max_length,
      };
      const input = element.multiline ? el("textarea", { ...attrs, rows: 3 }) : el("input", { ...attrs, type: "text" });
      input.value = initial;
      const store = () => setValue(ctx, blockId, actionId, { type: "plain_text_input", value: input.value });
      if (inInput) store();
      input.addEventListener("input", store);
      return input;
    }
    case "static_select":
    case "external_select": {
      const options = allOptions(element);
      const current = getValue(ctx, blockId, actionId);
      const chosen = current ? current.selected_option : element.initial_option;
      const select = el("select", { class: "bk-select", "data-action-id": actionId, "data-block-id": blockId });
      select.append(el("option", { value: "", text: element.placeholder ? plainText(element.placeholder) : "Select…" }));
      options.forEach((o) => select.append(el("option", { value: o.value, text: plainText(o.text), selected: chosen && chosen.value === o.value })));
      const value = () => {
        const option = options.find((o) => o.value === select.value);
        return { type: element.type, selected_option: option ? optionObject(option) : null };
      };
      if (inInput) setValue(ctx, blockId, actionId, value());
      select.addEventListener("change", () => changed(value(), value()));
      return select;
    }
    case "multi_static_select": {
      const options = allOptions(element);
      const current = getValue(ctx, blockId, actionId);
      const chosen = new Set(((current ? current.selected_options : element.initial_options) || []).map((o) => o.value));
      const select = el("select", { class: "bk-select multi", multiple: true, size: Math.min(options.length, 6), "data-action-id": actionId, "data-block-id": blockId });
      options.forEach((o) => select.append(el("option", { value: o.value, text: plainText(o.text), selected: chosen.has(o.value) })));
      const value = () => ({
        type: element.type,
        selected_options: options.filter((o) => Array.from(select.selectedOptions).some((s) => s.value === o.value)).map(optionObject),
      });
      if (inInput) setValue(ctx, blockId, actionId, value());
      select.addEventListener("change", () => changed(value(), value()));
      return el("div", { class: "bk-multi" }, select, el("div", { class: "bk-hint", text: "Ctrl/⌘-click to pick several" }));
    }
    case "users_select": {
      const current = getValue(ctx, blockId, actionId);
      const chosen = current ? current.selected_user : element.initial_user;
      const select = el("select", { class: "bk-select", "data-action-id": actionId, "data-block-id": blockId });
      select.append(el("option", { value: "", text: element.placeholder ? plainText(element.placeholder) : "Pick a person" }));
      users().filter((u) => !u.is_bot).forEach((u) => select.append(el("option", { value: u.id, text: u.display_name, selected: chosen === u.id })));
      const value = () => ({ type: element.type, selected_user: select.value || null });
      if (inInput) setValue(ctx, blockId, actionId, value());
      select.addEventListener("change", () => changed(value(), value()));
      return select;
    }
    case "conversations_select":
    case "channels_select": {
      const key = element.type === "channels_select" ? "selected_channel" : "selected_conversation";
      const current = getValue(ctx, blockId, actionId);
      let chosen = current ? current[key] : element.initial_conversation || element.initial_channel;
      if (!chosen && element.default_to_current_conversation && S.current && !conv(S.current)?.is_im) chosen = S.current;
      const select = el("select", { class: "bk-select", "data-action-id": actionId, "data-block-id": blockId });
      select.append(el("option", { value: "", text: element.placeholder ? plainText(element.placeholder) : "Pick a channel" }));
      conversations().filter((c) => !c.is_im).forEach((c) => select.append(el("option", { value: c.id, text: "#" + c.name, selected: chosen === c.id })));
      const value = () => ({ type: element.type, [key]: select.value || null });
      if (inInput) setValue(ctx, blockId, actionId, value());
      select.addEventListener("change", () => changed(value(), value()));
      return select;
    }
    case "checkboxes":
    case "radio_buttons": {
      const radio = element.type === "radio_buttons";
      const options = element.options || [];
      const current = getValue(ctx, blockId, actionId);
      const initial = current
        ? (radio ? [current.selected_option].filter(Boolean) : current.selected_options)
        : (radio ? [element.initial_option].filter(Boolean) : element.initial_options || []);
      const chosen = new Set(initial.map((o) => o.value));
      const group = el("div", { class: `bk-choices ${element.type}`, "data-action-id": actionId, "data-block-id": blockId });
      const name = `${blockId}.${actionId}.${Math.random().toString(36).slice(2, 7)}`;
      const inputs = options.map((o) => {
        const input = el("input", { type: radio ? "radio" : "checkbox", name, value: o.value, checked: chosen.has(o.value) });
        const label = el("label", { class: "bk-choice" }, input, el("span", {}, textObject(o.text, true)));
        if (o.description) label.append(el("div", { class: "bk-hint" }, textObject(o.description, true)));
        group.append(label);
        return input;
      });
      const value = () => {
        const picked = options.filter((o, i) => inputs[i].checked).map(optionObject);
        return radio ? { type: element.type, selected_option: picked[0] || null } : { type: element.type, selected_options: picked };
      };
      if (inInput) setValue(ctx, blockId, actionId, value());
      inputs.forEach((input) => input.addEventListener("change", () => changed(value(), value())));
      return group;
    }
    case "timepicker": {
      const current = getValue(ctx, blockId, actionId);
      const input = el("input", { type: "time", class: "bk-text time", "data-action-id": actionId, "data-block-id": blockId });
      input.value = current ? current.selected_time || "" : element.initial_time || "";
      const value = () => ({ type: "timepicker", selected_time: input.value || null });
      if (inInput) setValue(ctx, blockId, actionId, value());
      input.addEventListener("change", () => changed(value(), value()));
      return input;
    }
    case "datepicker": {
      const current = getValue(ctx, blockId, actionId);
      const input = el("input", { type: "date", class: "bk-text", "data-action-id": actionId, "data-block-id": blockId });
      input.value = current ? current.selected_date || "" : element.initial_date || "";
      const value = () => ({ type: "datepicker", selected_date: input.value || null });
      if (inInput) setValue(ctx, blockId, actionId, value());
      input.addEventListener("change", () => changed(value(), value()));
      return input;
    }
    case "image":
      return el("img", { class: "bk-accessory-img", src: element.image_url, alt: element.alt_text || "" });
    default:
      return el("span", { class: "bk-invalid", text: `Unsupported element: ${element.type}` });
  }
}

function confirmDialog(confirm, onConfirm) {
  const root = $("confirm-root");
  root.replaceChildren();
  const close = () => root.replaceChildren();
  const ok = el("button", { type: "button", class: `bk-btn ${confirm.style === "danger" ? "danger" : "primary"}`, onclick: () => { close(); onConfirm(); } }, plainText(confirm.confirm) || "Yes");
  const deny = el("button", { type: "button", class: "bk-btn", onclick: close }, plainText(confirm.deny) || "Cancel");
  root.append(el("div", { class: "overlay" },
    el("div", { class: "dialog confirm", role: "dialog", "aria-label": plainText(confirm.title) },
      el("div", { class: "dialog-header" }, el("h2", { text: plainText(confirm.title) })),
      el("div", { class: "dialog-body" }, textObject(confirm.text)),
      el("div", { class: "dialog-footer" }, deny, ok))));
}

// ------------------------------------------------------------------ talking to the sandbox

async function post(path, body) {
  const response = await fetch(API + path, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  let data = {};
  try { data = await response.json(); } catch (e) { /* not JSON */ }
  if (!response.ok) {
    const bot = data.bot ? ` (bot answered HTTP ${data.bot.status}: ${data.bot.body})` : "";
    toast(`That did not work${bot}`);
  }
  setTimeout(poll, 60);
  setTimeout(poll, 400);
  return data;
}

async function poll() {
  if (poll.running) return;
  poll.running = true;
  try {
    const response = await fetch(`${API}/state?user=${encodeURIComponent(S.me)}&since=${S.version}`);
    if (!response.ok) return;
    const data = await response.json();
    if (data.unchanged) return;
    S.data = data;
    S.version = data.version;
    render();
  } catch (e) {
    // the server restarts or is gone; keep trying quietly
  } finally {
    poll.running = false;
  }
}

// ------------------------------------------------------------------ rendering the workspace

function render() {
  if (!conv(S.current)) S.current = (conversations().find((c) => !c.is_im) || {}).id;
  renderTopbar();
  renderSidebar();
  renderConversation();
  renderThread();
  renderModal();
}

function renderTopbar() {
  const who = $("who");
  if (who.options.length !== users().filter((u) => !u.is_bot).length) {
    who.replaceChildren(...users().filter((u) => !u.is_bot).map((u) => el("option", { value: u.id, text: `${u.display_name} · ${u.tz}` })));
  }
  who.value = S.me;
  $("workspace-name").textContent = S.data.team.name;
  tick();
  const last = S.data.last_run;
  $("last-run").textContent = last ? (last.at ? `Ran ${fmtFull(new Date(last.at))}: ${last.summary}` : last.summary) : "";
  $("run-next").disabled = S.busy || !S.data.ready;
}

function tick() {
  if (!S.data) return;
  $("clock-now").textContent = `${fmtFull(sandboxNow())} (${me().tz})`;
  const next = S.data.next_due;
  $("clock-next").textContent = !S.data.ready ? "· starting…" : next ? `· next event ${fmtFull(new Date(next))}` : "· nothing scheduled";
}

function messageCount(c) {
  return c.messages.reduce((n, m) => n + 1 + m.replies.length, 0);
}

function renderSidebar() {
  const list = $("channel-list");
  list.replaceChildren();
  conversations().filter((c) => !c.is_im).forEach((c) => {
    list.append(sidebarItem(c, "# " + c.name, c.is_member ? "" : "not-member"));
  });
  const im = myIm();
  $("app-list").replaceChildren(im ? sidebarItem(im, "Kaizen", "app") : el("li", { text: "…" }));
}

function sidebarItem(c, label, extra) {
  const unread = c.id === S.current ? 0 : messageCount(c) - (S.seen[seenKey(c.id)] || 0);
  const item = el("li", {
    class: ["conv", c.id === S.current ? "active" : "", unread > 0 ? "unread" : "", extra].join(" ").trim(),
    "data-conv": c.id,
    onclick: () => openConversation(c.id),
  }, el("span", { text: label }));
  if (unread > 0) item.append(el("span", { class: "badge", text: String(unread) }));
  return item;
}

function seenKey(id) { return `${S.me}:${id}`; }
function markSeen(c) {
  S.seen[seenKey(c.id)] = messageCount(c);
  localStorage.setItem("kaizen.sandbox.seen", JSON.stringify(S.seen));
}

function openConversation(id) {
  S.current = id;
  localStorage.setItem("kaizen.sandbox.current", id);
  S.thread = null;
  const c = conv(id);
  S.tab = "messages";
  S.homeKey = null;
  render();
  scrollToBottom($("messages"));
  if (c && c.is_im) $("composer-input").focus();
}

function renderConversation() {
  const c = conv(S.current);
  if (!c) return;
  const isApp = c.is_im;
  $("conv-title").textContent = isApp ? "Kaizen" : "# " + c.name;
  const names = c.members.filter((id) => id !== S.data.bot_user_id).map(nameOf);
  $("conv-meta").textContent = isApp
    ? "App · your DM with the bot"
    : `${c.members.length} members: ${names.join(", ")}${c.members.includes(S.data.bot_user_id) ? " and Kaizen" : " (Kaizen is not in this channel)"}`;
  $("tabs").hidden = !isApp;
  document.querySelectorAll("#tabs .tab").forEach((tab) => tab.classList.toggle("active", tab.dataset.tab === S.tab));
  const showHome = isApp && S.tab === "home";
  $("home").hidden = !showHome;
  $("messages").hidden = showHome;
  $("composer").hidden = showHome;
  $("composer-input").placeholder = isApp ? "Message Kaizen — or type /kaizen help" : `Message #${c.name} — try /kaizen help`;
  const banner = $("banner");
  banner.hidden = !(S.data.ready === false);
  banner.textContent = "Starting: seeding six weeks of the demo team and posting last week's digest…";
  if (showHome) renderHome();
  else renderMessages($("messages"), c);
  markSeen(c);
}

function renderHome() {
  const home = S.data.home;
  const key = home ? `${home.id}:${home.hash}` : "none";
  if (key === S.homeKey) return;
  S.homeKey = key;
  const box = $("home");
  box.replaceChildren();
  if (!home) {
    box.append(el("p", { class: "muted", text: "Opening the Home tab…" }));
    return;
  }
  const ctx = { surface: "home", viewId: home.id, act: (action) => post("/action", { user: S.me, view_id: home.id, action }) };
  box.append(renderBlocks(home.blocks, ctx));
}

function atBottom(box) { return box.scrollHeight - box.scrollTop - box.clientHeight < 40; }
function scrollToBottom(box) { box.scrollTop = box.scrollHeight; }

function renderMessages(box, c) {
  const stick = atBottom(box) || !box.dataset.conv || box.dataset.conv !== c.id;
  const scroll = box.scrollTop;
  box.dataset.conv = c.id;
  box.replaceChildren();
  if (!c.messages.length) {
    box.append(el("p", { class: "empty muted", text: c.is_im ? "No messages yet. Nudges from Kaizen arrive here." : "No messages yet. Type /kaizen help below, or /kaizen digest post where Kaizen is set up." }));
  }
  let lastDay = "";
  c.messages.forEach((m) => {
    const when = new Date(Number(m.ts) * 1000);
    const day = fmtDay(when);
    if (day !== lastDay) { box.append(el("div", { class: "day-divider" }, el("span", { text: day }))); lastDay = day; }
    box.append(renderMessage(m, c, false));
  });
  box.dataset.stick = stick ? "1" : "0";
  if (stick) scrollToBottom(box);
  else box.scrollTop = scroll;
}

function renderMessage(m, c, inThread) {
  const author = m.is_bot ? "Kaizen" : nameOf(m.user);
  const when = new Date(Number(m.ts) * 1000);
  const node = el("div", { class: `message${m.ephemeral ? " ephemeral" : ""}`, "data-ts": m.ts });
  const initials = author.slice(0, 1).toUpperCase();
  node.append(el("div", { class: `avatar${m.is_bot ? " bot" : ""}`, text: m.is_bot ? "K" : initials }));
  const body = el("div", { class: "message-body" });
  const head = el("div", { class: "message-head" }, el("strong", { text: author }));
  if (m.is_bot) head.append(el("span", { class: "app-badge", text: "APP" }));
  head.append(el("span", { class: "time", title: when.toISOString(), text: fmtTime(when) }));
  if (m.edited) head.append(el("span", { class: "muted", text: "(edited)" }));
  body.append(head);
  if (m.ephemeral) body.append(el("div", { class: "ephemeral-note", text: "👁 Only visible to you" }));
  const ctx = {
    surface: "message",
    act: (action) => post("/action", { user: S.me, channel: c.id, ts: m.ts, action }),
  };
  if (m.blocks && m.blocks.length) body.append(renderBlocks(m.blocks, ctx));
  else if (m.text) body.append(mrkdwn(m.text));
  (m.files || []).forEach((f) => {
    if ((f.mimetype || "").startsWith("image/")) {
      // An image grows the list when it loads: keep a list that was at its end at its end.
      const keep = () => { const box = node.closest(".messages"); if (box && box.dataset.stick === "1") scrollToBottom(box); };
      const img = el("img", { src: f.url, alt: f.title || f.name, onload: keep });
      body.append(el("figure", { class: "file" }, img, el("figcaption", { text: f.title || f.name })));
    } else {
      body.append(el("a", { class: "file", href: f.url, target: "_blank", rel: "noopener", text: `📎 ${f.title || f.name}` }));
    }
  });
  if (!inThread && m.replies && m.replies.length) {
    const count = m.replies.length;
    body.append(el("button", { type: "button", class: "replies-link", onclick: () => openThread(c.id, m.ts) }, `${count} ${count === 1 ? "reply" : "replies"}`));
  }
  node.append(body);
  if (!m.ephemeral) {
    const tools = el("div", { class: "message-tools" });
    if (!inThread) tools.append(el("button", { type: "button", title: "Reply in thread", onclick: () => openThread(c.id, m.ts) }, "💬 Reply"));
    tools.append(el("button", { type: "button", title: "Message shortcut", onclick: () => post("/shortcut", { user: S.me, channel: c.id, ts: m.ts }) }, "⋯ Log as waste"));
    node.append(tools);
  }
  return node;
}

function openThread(channel, ts) {
  S.thread = { channel, ts };
  renderThread();
  $("thread-input").focus();
}

function renderThread() {
  const pane = $("thread");
  if (!S.thread) { pane.hidden = true; return; }
  const c = conv(S.thread.channel);
  const parent = c && c.messages.find((m) => m.ts === S.thread.ts);
  if (!parent) { pane.hidden = true; return; }
  pane.hidden = false;
  $("thread-where").textContent = channelName(c.id);
  const box = $("thread-messages");
  const stick = atBottom(box) || box.dataset.ts !== parent.ts;
  box.dataset.ts = parent.ts;
  box.replaceChildren(renderMessage(parent, c, true));
  box.append(el("div", { class: "thread-count muted", text: `${parent.replies.length} ${parent.replies.length === 1 ? "reply" : "replies"}` }));
  parent.replies.forEach((r) => box.append(renderMessage(r, c, true)));
  box.dataset.stick = stick ? "1" : "0";
  if (stick) scrollToBottom(box);
}

// ------------------------------------------------------------------ modal

function renderModal() {
  const modal = S.data.modal;
  const root = $("modal-root");
  const key = modal ? `${modal.id}:${modal.hash}:${JSON.stringify(modal.errors)}` : null;
  if (key === S.modalKey) return;
  S.modalKey = key;
  if (!modal) { root.replaceChildren(); return; }
  const form = (S.forms[modal.id] = S.forms[modal.id] || {});
  const ctx = {
    surface: "modal",
    viewId: modal.id,
    form,
    errors: modal.errors || {},
    act: (action) => post("/action", { user: S.me, view_id: modal.id, action }),
  };
  const close = () => post("/close", { user: S.me, view_id: modal.id });
  const submit = async (event) => {
    event.preventDefault();
    const values = {};
    (modal.blocks || []).forEach((block, index) => {
      if (block.type !== "input") return;
      const blockId = block.block_id || `b${index}`;
      if (form[blockId]) values[blockId] = form[blockId];
    });
    submitButton.disabled = true;
    await post("/submit", { user: S.me, view_id: modal.id, values });
    submitButton.disabled = false;
  };
  const submitButton = modal.submit ? el("button", { type: "submit", class: "bk-btn primary" }, plainText(modal.submit)) : null;
  const dialog = el("form", { class: "dialog modal", role: "dialog", "aria-label": plainText(modal.title), onsubmit: submit },
    el("div", { class: "dialog-header" },
      el("h2", { text: plainText(modal.title) }),
      modal.depth > 1 ? el("span", { class: "muted", text: `(${modal.depth} stacked)` }) : null,
      el("button", { type: "button", class: "icon", "aria-label": "Close", onclick: close }, "✕")),
    el("div", { class: "dialog-body" }, renderBlocks(modal.blocks, ctx)),
    el("div", { class: "dialog-footer" },
      el("button", { type: "button", class: "bk-btn", onclick: close }, plainText(modal.close) || "Cancel"),
      submitButton));
  root.replaceChildren(el("div", { class: "overlay" }, dialog));
  const first = dialog.querySelector("textarea, input[type=text]");
  if (first && !Object.keys(modal.errors || {}).length) first.focus();
}

// ------------------------------------------------------------------ composing

async function send(text, threadTs) {
  const c = conv(S.current);
  if (!c || !text.trim()) return;
  const target = threadTs ? S.thread.channel : c.id;
  const command = text.trim().match(/^(\/\S+)\s*([\s\S]*)$/);
  if (command && !threadTs) {
    if (command[1] !== "/kaizen") {
      toast(`${command[1]} is not a valid command. In the sandbox, only /kaizen is installed.`);
      return;
    }
    await post("/command", { user: S.me, channel: target, text: command[2] });
    return;
  }
  await post("/message", { user: S.me, channel: target, text, thread_ts: threadTs || null });
}

function setup() {
  $("composer").addEventListener("submit", (event) => {
    event.preventDefault();
    const input = $("composer-input");
    const text = input.value;
    input.value = "";
    send(text, null);
  });
  $("thread-composer").addEventListener("submit", (event) => {
    event.preventDefault();
    const input = $("thread-input");
    const text = input.value;
    input.value = "";
    if (S.thread) send(text, S.thread.ts);
  });
  $("thread-close").addEventListener("click", () => { S.thread = null; renderThread(); });
  $("who").addEventListener("change", (event) => {
    const wasIm = conv(S.current) && conv(S.current).is_im;
    S.me = event.target.value;
    localStorage.setItem("kaizen.sandbox.me", S.me);
    S.version = 0;
    S.thread = null;
    S.modalKey = null;
    S.homeKey = null;
    if (wasIm) S.current = null;
    poll().then(() => { if (wasIm && myIm()) openConversation(myIm().id); });
  });
  document.querySelectorAll("#tabs .tab").forEach((tab) => tab.addEventListener("click", () => {
    S.tab = tab.dataset.tab;
    S.homeKey = null;
    if (S.tab === "home") post("/home", { user: S.me });
    render();
  }));
  $("run-next").addEventListener("click", async () => {
    S.busy = true;
    $("run-next").disabled = true;
    $("last-run").textContent = "Running…";
    try {
      await post("/next", {});
    } finally {
      S.busy = false;
      $("run-next").disabled = false;
    }
  });
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && $("confirm-root").childElementCount) $("confirm-root").replaceChildren();
  });
  poll();
  setInterval(poll, POLL_MS);
  setInterval(tick, 1000);
}

document.addEventListener("DOMContentLoaded", setup);
