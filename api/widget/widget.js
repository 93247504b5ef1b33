/*
 * policykb embeddable question-answering widget.
 *
 *   <script src="https://HOST/widget.js" data-title="清廉建设问答" defer></script>
 *
 * Adds a floating launcher button and a chat panel inside a shadow root, so the host page's
 * CSS cannot restyle the widget and the widget's CSS cannot restyle the host page.
 * Attributes: data-title (panel title, default "政策问答"), data-api (API base URL; default:
 * the folder the script was loaded from), data-kb (the knowledge base to ask; default: the
 * server's base "default"), data-key (the key of a base whose reading is not public; the key is
 * readable by anyone who sees the page, so use it only on an intranet page).
 *
 * Security: every string that comes from the server is inserted with textContent or
 * createTextNode, never as HTML, and no link is ever built from server data. The only
 * innerHTML below is the static TEMPLATE, which holds no server data.
 */
(function () {
  "use strict";

  var script = document.currentScript || findScript();
  if (!script || window.__policykbWidgetLoaded) return;
  window.__policykbWidgetLoaded = true;

  var TITLE = (script.getAttribute("data-title") || "").trim() || "政策问答";
  var KB = (script.getAttribute("data-kb") || "").trim() || "default";
  var KEY = (script.getAttribute("data-key") || "").trim();
  var API = apiBase(script) + "api/v1/kbs/" + encodeURIComponent(KB) + "/";
  var STORAGE_KEY = "policykb-widget:" + API;
  var MAX_QUESTION = 200; // the server's default max_question_chars
  var MAX_MESSAGES = 60; // older messages are dropped from the saved conversation
  var UNAVAILABLE = "服务暂时不可用";

  function findScript() {
    var scripts = document.getElementsByTagName("script");
    for (var i = scripts.length - 1; i >= 0; i--) {
      if (/\/widget\.js(?:[?#].*)?$/.test(scripts[i].src)) return scripts[i];
    }
    return null;
  }

  // The folder the script came from ("http://host/" for "http://host/widget.js"), or data-api.
  function apiBase(el) {
    var override = el.getAttribute("data-api");
    var base = override ? new URL(override, document.baseURI) : new URL("./", el.src);
    var href = base.href.split(/[?#]/)[0];
    return href.charAt(href.length - 1) === "/" ? href : href + "/";
  }

  var FONT = '"Noto Sans CJK SC", "PingFang SC", "Microsoft YaHei", "Hiragino Sans GB", sans-serif';
  var STYLE = [
    // !important declarations of a shadow tree beat the host page's, so the host element is reset.
    ":host { all: initial !important; display: block !important; position: static !important; }",
    ".root { font-family: " + FONT + "; font-size: 14px; line-height: 1.6; color: #1f2329;",
    "  -webkit-text-size-adjust: 100%; text-align: left; }",
    ".root *, .root *::before, .root *::after { box-sizing: border-box; }",
    "[hidden] { display: none !important; }",
    "button, input { font: inherit; color: inherit; margin: 0; }",
    "button { cursor: pointer; }",
    "button:disabled { cursor: default; opacity: .6; }",
    ":focus-visible { outline: 2px solid #1a56db; outline-offset: 2px; }",
    ".launcher { position: fixed; right: 20px; bottom: 20px; z-index: 2147483000; display: flex;",
    "  align-items: center; gap: 6px; padding: 10px 18px; border: 0; border-radius: 24px;",
    "  background: #b3261e; color: #fff; font-size: 15px; font-weight: 600;",
    "  box-shadow: 0 4px 14px rgba(0,0,0,.25); }",
    ".launcher:hover { background: #9a1f18; }",
    ".launcher svg { width: 20px; height: 20px; fill: currentColor; }",
    ".panel { position: fixed; right: 20px; bottom: 80px; z-index: 2147483001; width: 380px;",
    "  height: min(600px, calc(100vh - 100px)); display: flex; flex-direction: column;",
    "  background: #fff; border-radius: 12px; overflow: hidden;",
    "  box-shadow: 0 10px 40px rgba(0,0,0,.28); border: 1px solid #e5e6eb; }",
    ".head { display: flex; align-items: center; justify-content: space-between; padding: 12px 16px;",
    "  background: #b3261e; color: #fff; flex: none; }",
    ".title { margin: 0; font-size: 16px; font-weight: 600; }",
    ".close { border: 0; background: transparent; color: #fff; font-size: 22px; line-height: 1;",
    "  width: 32px; height: 32px; border-radius: 6px; padding: 0; }",
    ".close:hover { background: rgba(255,255,255,.15); }",
    ".close:focus-visible { outline-color: #fff; }",
    ".log { flex: 1; overflow-y: auto; padding: 14px 14px 4px; background: #f7f8fa; }",
    ".hint { margin: 0 0 8px; color: #4e5969; }",
    ".suggestions { display: flex; flex-direction: column; gap: 8px; margin: 0 0 12px; }",
    ".suggestion { text-align: left; padding: 8px 12px; border: 1px solid #e8c4c1; border-radius: 8px;",
    "  background: #fff; color: #8c1d16; }",
    ".suggestion:hover { background: #fdf1f0; }",
    ".msg { margin: 0 0 12px; padding: 10px 12px; border-radius: 10px; word-break: break-word; }",
    ".q { margin-left: 48px; background: #b3261e; color: #fff; white-space: pre-wrap; }",
    ".a { margin-right: 16px; background: #fff; border: 1px solid #e5e6eb; }",
    ".a.none { background: #fffbe6; border-color: #f0c36d; border-left: 4px solid #d48806; }",
    ".none-title { margin: 0 0 4px; font-weight: 600; color: #ad6800; }",
    ".text { margin: 0; white-space: pre-wrap; }",
    ".error { margin-right: 16px; background: #fff1f0; border: 1px solid #ffa39e; color: #a8071a; }",
    ".loading { margin-right: 16px; color: #4e5969; background: #fff; border: 1px dashed #c9cdd4; }",
    ".loading::after { content: ''; display: inline-block; width: 1.5em; text-align: left;",
    "  animation: dots 1.2s steps(4, end) infinite; }",
    "@keyframes dots { 0% { content: ''; } 25% { content: '.'; } 50% { content: '..'; } 75% { content: '...'; } }",
    ".cites-title { margin: 10px 0 4px; font-size: 12px; color: #86909c; }",
    ".cites { list-style: none; margin: 0; padding: 0; }",
    ".cites li { margin: 0 0 4px; }",
    ".cite { display: block; width: 100%; text-align: left; padding: 4px 8px; border: 0;",
    "  border-radius: 6px; background: #f2f3f5; color: #1d4ed8; font-size: 13px; }",
    ".cite:hover { background: #e8f0fe; }",
    ".cite[aria-expanded='true'] { background: #e8f0fe; }",
    ".passage { margin: 4px 0 8px; padding: 8px 10px; border-left: 3px solid #c9cdd4;",
    "  background: #fafafa; color: #4e5969; font-size: 13px; white-space: pre-wrap; }",
    "mark { background: #ffe58f; color: #1f2329; padding: 0 1px; }",
    ".feedback { display: flex; align-items: center; gap: 6px; margin-top: 8px; font-size: 12px; color: #86909c; }",
    ".vote { display: inline-flex; align-items: center; justify-content: center; width: 30px; height: 28px;",
    "  padding: 0; border: 1px solid #e5e6eb; border-radius: 6px; background: #fff; color: #4e5969; }",
    ".vote:hover:not(:disabled) { background: #f2f3f5; }",
    ".vote[aria-pressed='true'] { border-color: #b3261e; color: #b3261e; opacity: 1; }",
    ".vote svg { width: 16px; height: 16px; fill: currentColor; }",
    ".composer { display: flex; gap: 8px; padding: 10px 12px; border-top: 1px solid #e5e6eb;",
    "  background: #fff; flex: none; }",
    ".input { flex: 1; min-width: 0; padding: 8px 10px; border: 1px solid #c9cdd4; border-radius: 8px;",
    "  background: #fff; font-size: 14px; }",
    ".counter { align-self: center; font-size: 12px; color: #6b7280; white-space: nowrap; }",
    ".counter.full { color: #b42318; font-weight: 600; }",
    ".input:focus-visible { outline: 2px solid #1a56db; outline-offset: 0; border-color: #1a56db; }",
    ".send { padding: 8px 16px; border: 0; border-radius: 8px; background: #b3261e; color: #fff; }",
    "@media (max-width: 480px) {",
    "  .panel { left: 0; right: 0; top: 0; bottom: 0; width: auto; height: auto; border-radius: 0; border: 0; }",
    "  .launcher { right: 12px; bottom: 12px; }",
    "  .input { font-size: 16px; }",
    "}",
  ].join("\n");

  var ICON_CHAT = "M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4H4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2z";
  var ICON_UP = "M2 21h4V9H2v12zm20-11a2 2 0 0 0-2-2h-6.3l1-4.6v-.3c0-.4-.2-.8-.4-1.1L13.2 1 6.6 7.6" +
    "C6.2 8 6 8.5 6 9v10a2 2 0 0 0 2 2h9c.8 0 1.5-.5 1.8-1.2l3-7.1c.1-.2.2-.5.2-.7v-2z";
  var ICON_DOWN = "M22 3h-4v12h4V3zM2 14a2 2 0 0 0 2 2h6.3l-1 4.6v.3c0 .4.2.8.4 1.1l1.1 1 6.6-6.6" +
    "c.4-.4.6-.9.6-1.4V5a2 2 0 0 0-2-2H7c-.8 0-1.5.5-1.8 1.2l-3 7.1c-.1.2-.2.5-.2.7v2z";

  // Static markup only: no server data ever passes through innerHTML.
  var TEMPLATE =
    '<div class="root">' +
    '<button type="button" class="launcher" aria-haspopup="dialog" aria-expanded="false" aria-controls="pkb-panel">' +
    '<svg viewBox="0 0 24 24" aria-hidden="true"><path d="' + ICON_CHAT + '"/></svg><span class="launcher-text"></span></button>' +
    '<div class="panel" id="pkb-panel" role="dialog" hidden>' +
    '<div class="head"><h2 class="title"></h2>' +
    '<button type="button" class="close" aria-label="关闭">×</button></div>' +
    '<div class="log" role="log" aria-live="polite"></div>' +
    '<form class="composer" novalidate>' +
    '<input class="input" type="text" autocomplete="off" aria-label="输入问题" placeholder="请输入问题，按回车发送"' +
    ' aria-describedby="pkb-counter">' +
    '<span class="counter" id="pkb-counter"></span>' +
    '<button type="submit" class="send">发送</button></form>' +
    "</div></div>";

  var state = loadState();
  var pending = false;
  var suggestions = null; // null: not fetched yet
  var ui = {};

  function loadState() {
    try {
      var saved = JSON.parse(window.sessionStorage.getItem(STORAGE_KEY) || "null");
      if (saved && Array.isArray(saved.messages)) return { open: !!saved.open, messages: saved.messages };
    } catch (e) { /* storage disabled or corrupt: start afresh */ }
    return { open: false, messages: [] };
  }

  function saveState() {
    if (state.messages.length > MAX_MESSAGES) state.messages = state.messages.slice(-MAX_MESSAGES);
    try { window.sessionStorage.setItem(STORAGE_KEY, JSON.stringify(state)); } catch (e) { /* ignore */ }
  }

  // -- small DOM helpers ---------------------------------------------------------------------

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text != null) node.textContent = String(text);
    return node;
  }

  function icon(path) {
    var ns = "http://www.w3.org/2000/svg";
    var svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("aria-hidden", "true");
    var p = document.createElementNS(ns, "path");
    p.setAttribute("d", path);
    svg.appendChild(p);
    return svg;
  }

  function str(value) {
    return typeof value === "string" ? value : value == null ? "" : String(value);
  }

  // -- HTTP ----------------------------------------------------------------------------------

  // The server's error messages are English for developers (except where a deployment writes
  // its own, in Chinese); a reader sees a Chinese sentence chosen by the status.
  var STATUS_TEXT = {
    401: "这个知识库需要访问密钥，请联系网站管理员。",
    404: "找不到这个知识库，请联系网站管理员。",
    413: "问题太长了，请精简后再问。",
    422: "这个问题无法提交，请检查后重试（最多" + MAX_QUESTION + "字）。",
    503: "当前提问的人较多，请稍后再试。"
  };

  function shownError(resp, message) {
    if (message && /[\u4e00-\u9fff]/.test(message)) return message;
    if (resp.status === 429) {
      var wait = parseInt(resp.headers.get("Retry-After") || "", 10);
      return wait > 0 ? "提问太频繁了，请" + wait + "秒后再试。" : "提问太频繁了，请稍后再试。";
    }
    return STATUS_TEXT[resp.status] || UNAVAILABLE;
  }

  // Resolves with the JSON body; rejects with an Error whose message is fit to show.
  function request(method, path, body) {
    var init = { method: method, headers: { Accept: "application/json" }, credentials: "omit" };
    if (KEY) init.headers["X-API-Key"] = KEY;
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    return fetch(API + path, init).then(
      function (resp) {
        return resp.json().catch(function () { return null; }).then(function (data) {
          if (resp.ok && data) return data;
          var message = data && data.error && typeof data.error.message === "string" && data.error.message;
          throw new Error(shownError(resp, message));
        });
      },
      function () { throw new Error(UNAVAILABLE); }
    );
  }

  // -- rendering -----------------------------------------------------------------------------

  var citeSeq = 0;

  function renderEmpty() {
    var box = el("div", "empty");
    box.appendChild(el("p", "hint", "您好！请输入关于政策文件的问题，回答会注明出处。"));
    if (suggestions && suggestions.length) {
      box.appendChild(el("p", "hint", "您可以这样问："));
      var list = el("div", "suggestions");
      suggestions.forEach(function (q) {
        var b = el("button", "suggestion", q);
        b.type = "button";
        b.addEventListener("click", function () {
          ask(q);
          ui.input.focus(); // the clicked button is replaced by the conversation
        });
        list.appendChild(b);
      });
      box.appendChild(list);
    }
    return box;
  }

  function renderCitation(msg, ev, index) {
    var item = el("li");
    var cite = ev && ev.citation ? ev.citation : {};
    var label = str(cite.label) || [str(cite.title), str(cite.section)].filter(Boolean).join(" · ");
    var button = el("button", "cite", "[" + (index + 1) + "] " + label);
    button.type = "button";
    var passage = el("blockquote", "passage");
    passage.id = "pkb-passage-" + (++citeSeq);
    var text = str(ev && ev.passage);
    var hs = Math.max(0, Math.min(Number(ev && ev.highlight_start) || 0, text.length));
    var he = Math.max(hs, Math.min(Number(ev && ev.highlight_end) || 0, text.length));
    passage.appendChild(document.createTextNode(text.slice(0, hs)));
    passage.appendChild(el("mark", "", text.slice(hs, he)));
    passage.appendChild(document.createTextNode(text.slice(he)));
    var expanded = !!(msg.expanded && msg.expanded[index]);
    button.setAttribute("aria-expanded", String(expanded));
    button.setAttribute("aria-controls", passage.id);
    passage.hidden = !expanded;
    button.addEventListener("click", function () {
      var open = button.getAttribute("aria-expanded") !== "true";
      button.setAttribute("aria-expanded", String(open));
      passage.hidden = !open;
      msg.expanded = msg.expanded || {};
      msg.expanded[index] = open;
      saveState();
    });
    item.appendChild(button);
    item.appendChild(passage);
    return item;
  }

  function renderFeedback(msg) {
    var row = el("div", "feedback");
    row.appendChild(el("span", "", "这个回答有帮助吗？"));
    var status = el("span", "status");
    status.setAttribute("role", "status");
    var votes = [[true, ICON_UP, "有帮助"], [false, ICON_DOWN, "没有帮助"]].map(function (v) {
      var b = el("button", "vote");
      b.type = "button";
      b.setAttribute("aria-label", v[2]);
      b.title = v[2];
      b.appendChild(icon(v[1]));
      b.setAttribute("aria-pressed", String(msg.helpful === v[0]));
      b.addEventListener("click", function () { sendFeedback(msg, v[0], votes, status); });
      row.appendChild(b);
      return b;
    });
    row.appendChild(status);
    if (msg.helpful === true || msg.helpful === false) {
      votes.forEach(function (b) { b.disabled = true; });
      status.textContent = "感谢反馈";
    }
    return row;
  }

  function renderMessage(msg) {
    if (msg.role === "user") return el("div", "msg q", msg.text);
    if (msg.role === "error") {
      var err = el("div", "msg error", msg.text);
      err.setAttribute("role", "alert");
      return err;
    }
    var data = msg.answer || {};
    var none = data.kind === "none";
    var box = el("div", "msg a" + (none ? " none" : ""));
    // The body says why (not found, or mentioned without the detail asked for): the heading
    // must not contradict a body that says the base mentions the term.
    if (none) box.appendChild(el("p", "none-title", "没有明确答案"));
    if (str(data.text)) box.appendChild(el("p", "text", str(data.text)));
    var cites = Array.isArray(data.citations) ? data.citations : [];
    if (cites.length) {
      box.appendChild(el("p", "cites-title", none ? "相关出处" : "出处"));
      var list = el("ol", "cites");
      cites.forEach(function (ev, i) { list.appendChild(renderCitation(msg, ev, i)); });
      box.appendChild(list);
    }
    if (data.answer_id) box.appendChild(renderFeedback(msg));
    return box;
  }

  function render() {
    var log = ui.log;
    while (log.firstChild) log.removeChild(log.firstChild);
    if (!state.messages.length) log.appendChild(renderEmpty());
    state.messages.forEach(function (m) { log.appendChild(renderMessage(m)); });
    if (pending) {
      var loading = el("div", "msg loading", "正在查找");
      loading.setAttribute("role", "status");
      log.appendChild(loading);
    }
    ui.send.disabled = pending;
    // A new answer opens at its start (a long one is read from the top, not from its citations);
    // the question above it stays in view when it fits.
    var last = log.lastElementChild;
    if (!pending && last && last.classList.contains("a") && last.previousElementSibling) {
      log.scrollTop = last.previousElementSibling.offsetTop - log.offsetTop;
    } else {
      log.scrollTop = log.scrollHeight;
    }
  }

  function updateCounter() {
    var used = ui.input.value.length;
    ui.counter.textContent = used + "/" + MAX_QUESTION;
    ui.counter.classList.toggle("full", used >= MAX_QUESTION);
    ui.counter.setAttribute("aria-label", used >= MAX_QUESTION
      ? "已达到问题长度上限" + MAX_QUESTION + "字" : "已输入" + used + "字，上限" + MAX_QUESTION + "字");
  }

  // -- actions -------------------------------------------------------------------------------

  // Keep only what the widget shows, so sessionStorage stays small.
  function slim(data) {
    return {
      answer_id: str(data.answer_id), question: str(data.question), text: str(data.text), kind: str(data.kind),
      citations: (Array.isArray(data.citations) ? data.citations : []).map(function (ev) {
        return {
          citation: { label: str(ev.citation && ev.citation.label), title: str(ev.citation && ev.citation.title),
            section: str(ev.citation && ev.citation.section) },
          passage: str(ev.passage), highlight_start: ev.highlight_start, highlight_end: ev.highlight_end,
        };
      }),
    };
  }

  function ask(raw) {
    var question = str(raw).trim();
    if (!question || pending) return;
    if (question.length > MAX_QUESTION) question = question.slice(0, MAX_QUESTION);
    state.messages.push({ role: "user", text: question });
    pending = true;
    ui.input.value = "";
    updateCounter();
    saveState();
    render();
    request("POST", "ask", { question: question }).then(
      function (data) { state.messages.push({ role: "answer", question: question, answer: slim(data), helpful: null }); },
      function (error) { state.messages.push({ role: "error", text: error.message }); }
    ).then(function () {
      pending = false;
      saveState();
      render();
    });
  }

  function sendFeedback(msg, helpful, votes, status) {
    votes.forEach(function (b) { b.disabled = true; });
    status.textContent = "";
    request("POST", "feedback", { answer_id: msg.answer.answer_id, question: msg.question, helpful: helpful, comment: "" })
      .then(function () {
        msg.helpful = helpful;
        saveState();
        votes[helpful ? 0 : 1].setAttribute("aria-pressed", "true");
        status.textContent = "感谢反馈";
      }, function (error) {
        votes.forEach(function (b) { b.disabled = false; });
        status.textContent = "反馈发送失败：" + error.message;
      });
  }

  function loadSuggestions() {
    if (suggestions !== null) return;
    suggestions = [];
    request("GET", "suggestions").then(function (data) {
      suggestions = (Array.isArray(data.questions) ? data.questions : []).map(str).filter(Boolean).slice(0, 6);
      if (!state.messages.length) render();
    }, function () { /* the empty state simply shows no suggestions */ });
  }

  function setOpen(open, focus) {
    state.open = open;
    ui.panel.hidden = !open;
    ui.launcher.setAttribute("aria-expanded", String(open));
    saveState();
    if (open) {
      loadSuggestions();
      render();
      if (focus) ui.input.focus();
    } else if (focus) {
      ui.launcher.focus();
    }
  }

  function init() {
    var host = document.createElement("policykb-widget");
    var root = host.attachShadow({ mode: "open" });
    var style = document.createElement("style");
    style.textContent = STYLE;
    root.appendChild(style);
    var holder = document.createElement("div");
    holder.innerHTML = TEMPLATE; // static, see the comment at the top
    root.appendChild(holder.firstChild);
    ui = {
      launcher: root.querySelector(".launcher"), panel: root.querySelector(".panel"),
      log: root.querySelector(".log"), form: root.querySelector(".composer"),
      input: root.querySelector(".input"), send: root.querySelector(".send"),
      counter: root.querySelector(".counter"),
    };
    root.querySelector(".launcher-text").textContent = TITLE;
    root.querySelector(".title").textContent = TITLE;
    ui.panel.setAttribute("aria-label", TITLE);
    ui.launcher.setAttribute("aria-label", "打开" + TITLE);
    ui.input.maxLength = MAX_QUESTION;
    ui.input.addEventListener("input", updateCounter);
    updateCounter();

    ui.launcher.addEventListener("click", function () { setOpen(ui.panel.hidden, true); });
    root.querySelector(".close").addEventListener("click", function () { setOpen(false, true); });
    ui.form.addEventListener("submit", function (event) {
      event.preventDefault();
      ask(ui.input.value);
    });
    root.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && !ui.panel.hidden) {
        event.stopPropagation();
        setOpen(false, true);
      }
    });
    document.body.appendChild(host);
    render();
    if (state.open) setOpen(true, false); // restored after a reload: do not steal the page's focus
  }

  if (document.body) init();
  else document.addEventListener("DOMContentLoaded", init);
})();
