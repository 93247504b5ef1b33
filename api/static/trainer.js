/*
 * The trainers' page: search passages, browse the glossary and the standard catalogue,
 * collect a selection (kept in sessionStorage) and export it as a Word or Markdown handout.
 *
 * Security: text from the server is only ever inserted with createTextNode / textContent
 * (highlights are <mark> elements holding text nodes); no innerHTML, no links from server data.
 */
(function () {
  "use strict";

  // The base this page works on: ?kb=NAME in the page's address, else the server's "default".
  var KB = new URLSearchParams(window.location.search).get("kb") || "default";
  var API = "api/v1/kbs/" + encodeURIComponent(KB) + "/";
  var SELECTION_KEY = "policykb-trainer:selection:" + KB;
  var SEARCH_KEY = "policykb-trainer:search:" + KB;
  var KIND_NAMES = { text: "文本", pdf: "PDF", docx: "Word", doc: "Word（.doc）", wps: "WPS", ofd: "OFD",
    html: "网页", catalogue: "标准目录", register: "登记表" };
  var GROUPS = [
    { key: "passages", name: "原文段落" },
    { key: "terms", name: "术语" },
    { key: "catalogue", name: "目录条目" }
  ];

  var $ = function (id) { return document.getElementById(id); };
  var selection = loadSelection();

  // -- small helpers -----------------------------------------------------------------------

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.appendChild(document.createTextNode(String(text)));
    return node;
  }

  function clear(node) {
    while (node.firstChild) node.removeChild(node.firstChild);
  }

  function setStatus(node, text, isError) {
    node.textContent = text || "";
    node.classList.toggle("error", !!isError);
  }

  function readJSON(key, fallback) {
    try {
      var value = JSON.parse(window.sessionStorage.getItem(key) || "null");
      return value && typeof value === "object" ? value : fallback;
    } catch (e) {
      return fallback;
    }
  }

  function writeJSON(key, value) {
    try {
      window.sessionStorage.setItem(key, JSON.stringify(value));
    } catch (e) { /* storage full or disabled: the page still works for this visit */ }
  }

  // GET or POST the API; rejects with the server's error message.
  function api(path, options) {
    return fetch(API + path, options).then(function (response) {
      if (response.ok) return response;
      return response.json().then(
        function (body) {
          var message = body && body.error && body.error.message;
          throw new Error(message || "服务器返回错误（" + response.status + "）");
        },
        function () { throw new Error("服务器返回错误（" + response.status + "）"); }
      );
    }, function () {
      throw new Error("无法连接服务器");
    });
  }

  function getJSON(path) {
    return api(path).then(function (response) { return response.json(); });
  }

  // -- selection ---------------------------------------------------------------------------

  function loadSelection() {
    var saved = readJSON(SELECTION_KEY, {});
    var lists = {};
    GROUPS.forEach(function (group) {
      lists[group.key] = Array.isArray(saved[group.key]) ? saved[group.key].filter(function (entry) {
        return entry && (typeof entry.id === "number" || typeof entry.id === "string");
      }) : [];
    });
    lists.title = typeof saved.title === "string" ? saved.title : "";
    return lists;
  }

  function saveSelection() {
    writeJSON(SELECTION_KEY, selection);
  }

  function selectionKey(group, id) {
    return group + ":" + id;
  }

  function isSelected(group, id) {
    return selection[group].some(function (entry) { return entry.id === id; });
  }

  function setSelected(group, entry, selected) {
    var list = selection[group].filter(function (e) { return e.id !== entry.id; });
    if (selected) list.push(entry);
    selection[group] = list;
    saveSelection();
    renderSelection();
  }

  // A checkbox "加入讲义" bound to one selection entry; all boxes for the same entry stay in step.
  function pickBox(group, entry, labelText, describedBy) {
    var label = el("label", "pick");
    var box = document.createElement("input");
    box.type = "checkbox";
    box.setAttribute("data-key", selectionKey(group, entry.id));
    box.checked = isSelected(group, entry.id);
    if (describedBy) box.setAttribute("aria-describedby", describedBy);
    box.addEventListener("change", function () { setSelected(group, entry, box.checked); });
    label.appendChild(box);
    label.appendChild(el("span", null, labelText));
    return label;
  }

  function syncBoxes() {
    var boxes = document.querySelectorAll("input[data-key]");
    for (var i = 0; i < boxes.length; i++) {
      var parts = boxes[i].getAttribute("data-key").split(":");
      var group = parts.shift();
      var raw = parts.join(":");
      var id = group === "terms" ? raw : Number(raw);
      boxes[i].checked = isSelected(group, id);
    }
  }

  function renderSelection() {
    var holder = $("selection-groups");
    clear(holder);
    var total = 0;
    GROUPS.forEach(function (group) {
      var entries = selection[group.key];
      if (!entries.length) return;
      total += entries.length;
      var section = el("div", "selection-group");
      section.appendChild(el("h3", null, group.name + "（" + entries.length + "）"));
      var list = el("ul", "selection-list");
      entries.forEach(function (entry) {
        var item = el("li");
        var text = el("div", "selection-text");
        text.appendChild(el("span", "selection-name", entry.name));
        if (entry.label) text.appendChild(el("span", "cite", entry.label));
        item.appendChild(text);
        var remove = el("button", "btn-remove", "移除");
        remove.type = "button";
        remove.setAttribute("aria-label", "移除：" + entry.name);
        remove.addEventListener("click", function () {
          setSelected(group.key, entry, false);
          var next = holder.querySelector(".btn-remove") || $("handout-title");
          next.focus();
        });
        item.appendChild(remove);
        list.appendChild(item);
      });
      section.appendChild(list);
      holder.appendChild(section);
    });
    $("selection-count").textContent = String(total);
    $("jump-count").textContent = String(total);
    $("selection-empty").hidden = total > 0;
    $("export-docx").disabled = total === 0;
    $("export-md").disabled = total === 0;
    $("selection-clear").hidden = total === 0;
    syncBoxes();
  }

  // -- filters -----------------------------------------------------------------------------

  function option(value, text) {
    var node = document.createElement("option");
    node.value = value;
    node.textContent = text;
    return node;
  }

  function loadFacets() {
    return getJSON("facets").then(function (facets) {
      var docs = $("filter-doc");
      (facets.documents || []).forEach(function (doc) {
        docs.appendChild(option(doc.id, doc.title || doc.id));
      });
      var sections = $("filter-section");
      (facets.units || []).forEach(function (unit) {
        var group = document.createElement("optgroup");
        group.label = unit.unit;
        group.appendChild(option(unit.unit, unit.unit + "（全部）"));
        (unit.categories || []).forEach(function (category) {
          group.appendChild(option(unit.unit + " > " + category, category));
        });
        sections.appendChild(group);
      });
      var kinds = $("filter-kind");
      (facets.kinds || []).forEach(function (kind) {
        kinds.appendChild(option(kind, KIND_NAMES[kind] || kind));
      });
      var issuers = $("filter-issuer");
      (facets.issuers || []).forEach(function (name) {
        issuers.appendChild(option(name, name));
      });
      if (facets.issued) {
        ["filter-from", "filter-to"].forEach(function (id) {
          $(id).min = facets.issued.from;
          $(id).max = facets.issued.to;
        });
      }
    }, function (error) {
      setStatus($("search-status"), "筛选条件加载失败：" + error.message, true);
    });
  }

  // -- search ------------------------------------------------------------------------------

  function escapeRegExp(text) {
    return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  }

  // Append `text` to `parent`, wrapping every occurrence of a term in <mark>.
  function appendHighlighted(parent, text, terms) {
    var words = (terms || []).map(function (t) { return String(t).trim(); }).filter(function (t) {
      return t && /[\p{L}\p{N}]/u.test(t);
    });
    words.sort(function (a, b) { return b.length - a.length; });
    if (!words.length) {
      parent.appendChild(document.createTextNode(text));
      return;
    }
    var pattern = new RegExp("(" + words.map(escapeRegExp).join("|") + ")", "gi");
    var last = 0;
    text.replace(pattern, function (match, _group, offset) {
      if (offset > last) parent.appendChild(document.createTextNode(text.slice(last, offset)));
      parent.appendChild(el("mark", null, match));
      last = offset + match.length;
      return match;
    });
    if (last < text.length) parent.appendChild(document.createTextNode(text.slice(last)));
  }

  function searchParams() {
    return {
      q: $("q").value.trim(),
      doc: $("filter-doc").value,
      section: $("filter-section").value,
      kind: $("filter-kind").value,
      issuer: $("filter-issuer").value,
      issued_from: $("filter-from").value,
      issued_to: $("filter-to").value,
      in_force: $("filter-in-force").checked,
      mode: $("filter-mode").value
    };
  }

  function runSearch(focusResults) {
    var params = searchParams();
    if (!params.q) {
      setStatus($("search-status"), "请输入检索词。", true);
      $("q").focus();
      return;
    }
    writeJSON(SEARCH_KEY, params);
    var query = new URLSearchParams({ q: params.q, k: "10", mode: params.mode });
    if (params.doc) query.append("doc", params.doc);
    if (params.kind) query.append("kind", params.kind);
    if (params.section) query.append("section", params.section);
    if (params.issuer) query.append("issuer", params.issuer);
    if (params.issued_from) query.append("issued_from", params.issued_from);
    if (params.issued_to) query.append("issued_to", params.issued_to);
    if (params.in_force) query.append("in_force", "true");
    if (params.issued_from && params.issued_to && params.issued_from > params.issued_to) {
      setStatus($("search-status"), "发布日期的起始日不能晚于截止日。", true);
      $("filter-from").focus();
      return;
    }
    var results = $("results");
    results.setAttribute("aria-busy", "true");
    $("search-button").disabled = true;
    setStatus($("search-status"), "正在检索…");
    getJSON("search?" + query.toString()).then(function (body) {
      renderResults(body);
      if (focusResults && body.hits.length) results.focus();
    }, function (error) {
      clear(results);
      setStatus($("search-status"), "检索失败：" + error.message, true);
    }).then(function () {
      results.removeAttribute("aria-busy");
      $("search-button").disabled = false;
    });
  }

  // Results come in groups: close passages (正文段落), close table rows (目录条目, shown compactly so a
  // list of bare catalogue paths cannot bury the passages that explain them), and, last and under
  // their own heading, hits that are not close to the query. The server says which hit is close.
  function renderResults(body) {
    var results = $("results");
    clear(results);
    if (!body.hits.length) {
      setStatus($("search-status"), "没有找到“" + body.query + "”的相关内容。可以换个说法，或放宽筛选条件。");
      return;
    }
    var close = body.hits.filter(function (hit) { return hit.close; });
    var weak = body.hits.filter(function (hit) { return !hit.close; });
    if (close.length) {
      setStatus($("search-status"), "“" + body.query + "”共找到 " + close.length + " 条相近结果" +
        (weak.length ? "，另有 " + weak.length + " 条不相近的结果列在最后。" : "。"));
    } else {
      setStatus($("search-status"), "没有找到与“" + body.query + "”相近的内容。下面 " + weak.length +
        " 条结果与检索词不相近，仅供参考；可以换个说法，或放宽筛选条件。");
    }
    var entries = close.filter(isEntry);
    var passages = close.filter(function (hit) { return !isEntry(hit); });
    var groups = [
      { key: "passages", name: "正文段落", hits: passages },
      { key: "entries", name: tableGroupName(entries), hits: entries }
    ].filter(function (group) { return group.hits.length; });
    groups.sort(function (a, b) { return a.hits[0].rank - b.hits[0].rank; });  // the best hit's group first
    groups.forEach(function (group) { results.appendChild(resultGroup(group.key, group.name, group.hits, body)); });
    if (weak.length) results.appendChild(resultGroup("weak", "与检索词不相近的结果", weak, body));
  }

  function isEntry(hit) {
    return hit.result_type === "entry";
  }

  function tableGroupName(entries) {
    var catalogueOnly = entries.every(function (hit) { return hit.citation.kind === "catalogue"; });
    return catalogueOnly ? "目录条目" : "表格条目";
  }

  function resultGroup(key, name, hits, body) {
    var section = el("section", "result-group result-group-" + key);
    var headingId = "results-" + key;
    var heading = el("h3", "result-group-title", name + "（" + hits.length + "）");
    heading.id = headingId;
    section.appendChild(heading);
    if (key === "weak") {
      section.appendChild(el("p", "hint", "这些结果在意思和用词上都与检索词相差较远，可能与所查内容无关。"));
    }
    var list = el("ol", "results");
    list.setAttribute("aria-labelledby", headingId);
    hits.forEach(function (hit) { list.appendChild(isEntry(hit) ? entryItem(hit, body) : passageItem(hit, body)); });
    section.appendChild(list);
    return section;
  }

  function hitHead(hit, group, name) {
    var citation = hit.citation;
    var head = el("div", "hit-head");
    var citeId = "hit-cite-" + hit.chunk_id;
    var cite = el("p", "cite", citation.label);
    cite.id = citeId;
    head.appendChild(el("span", "badge", KIND_NAMES[citation.kind] || citation.kind));
    head.appendChild(cite);
    head.appendChild(pickBox(group, { id: hit.chunk_id, name: name, label: citation.label }, "加入讲义", citeId));
    return head;
  }

  function passageItem(hit, body) {
    var item = el("li", "hit");
    // A register row is exported as a passage; only catalogue rows are catalogue items.
    var isRow = hit.citation.kind === "catalogue";
    item.appendChild(hitHead(hit, isRow ? "catalogue" : "passages",
      isRow ? hit.citation.section || hit.citation.title : snippet(hit.text)));
    var text = el("p", "hit-text");
    hit.text.split(/\n+/).forEach(function (line) {
      if (!line.trim()) return;
      var paragraph = el("span", "hit-line");
      appendHighlighted(paragraph, line.trim(), body.terms);
      text.appendChild(paragraph);
    });
    item.appendChild(text);
    return item;
  }

  // A table row kept short: its path (or first line) and fields on one line, then where it comes from
  // (document and row; the path is not repeated).
  function entryItem(hit, body) {
    var citation = hit.citation;
    var item = el("li", "hit hit-entry");
    var isRow = citation.kind === "catalogue";
    var lines = hit.text.split(/\n+/).map(function (line) { return line.trim(); }).filter(Boolean);
    var head = el("div", "hit-head");
    head.appendChild(el("span", "badge", KIND_NAMES[citation.kind] || citation.kind));
    var text = el("p", "entry-text");
    var first = el("span", "entry-path");
    appendHighlighted(first, lines[0] || "", body.terms);
    text.appendChild(first);
    if (lines.length > 1) {
      var rest = el("span", "entry-fields");
      appendHighlighted(rest, lines.slice(1).join("；"), body.terms);
      text.appendChild(rest);
    }
    head.appendChild(text);
    var citeId = "hit-cite-" + hit.chunk_id;
    var name = isRow ? citation.section || citation.title : snippet(hit.text);
    head.appendChild(pickBox(isRow ? "catalogue" : "passages", { id: hit.chunk_id, name: name, label: citation.label },
      "加入讲义", citeId));
    item.appendChild(head);
    var where = [citation.doc_number ? citation.title + "（" + citation.doc_number + "）" : citation.title];
    if (citation.row !== null && citation.row !== undefined) where.push("第" + citation.row + "行");
    var cite = el("p", "cite entry-cite", where.join(" · "));
    cite.id = citeId;
    cite.title = citation.label;
    item.appendChild(cite);
    return item;
  }

  function snippet(text) {
    var flat = String(text).replace(/\s+/g, " ").trim();
    return flat.length > 40 ? flat.slice(0, 40) + "…" : flat;
  }

  // -- glossary ----------------------------------------------------------------------------

  var glossaryTerms = [];

  function loadGlossary() {
    setStatus($("glossary-status"), "正在加载术语表…");
    return getJSON("glossary").then(function (entries) {
      var byTerm = {};
      entries.forEach(function (entry) {
        if (!byTerm[entry.term]) {
          byTerm[entry.term] = { term: entry.term, sources: [] };
          glossaryTerms.push(byTerm[entry.term]);
        }
        byTerm[entry.term].sources.push(entry);
      });
      // Terms the sources spell out first: they are what a handout can teach and test.
      var spelled = glossaryTerms.filter(function (t) { return t.sources.some(function (s) { return s.items.length; }); });
      var bare = glossaryTerms.filter(function (t) { return spelled.indexOf(t) < 0; });
      glossaryTerms = spelled.concat(bare);
      renderGlossary();
    }, function (error) {
      setStatus($("glossary-status"), "术语表加载失败：" + error.message, true);
    });
  }

  function renderGlossary() {
    var list = $("glossary-list");
    var filter = $("glossary-filter").value.trim();
    clear(list);
    var shown = glossaryTerms.filter(function (entry) {
      return !filter || entry.term.indexOf(filter) >= 0 || entry.sources.some(function (s) {
        return s.items.join("、").indexOf(filter) >= 0;
      });
    });
    setStatus($("glossary-status"), glossaryTerms.length
      ? (filter ? "筛选出 " + shown.length + " 个术语。" : "共 " + glossaryTerms.length + " 个术语。")
      : "知识库中还没有术语。");
    shown.forEach(function (entry, index) {
      var item = el("li", "term");
      var head = el("div", "term-head");
      var nameId = "term-" + index;
      var name = el("span", "term-name", entry.term);
      name.id = nameId;
      head.appendChild(name);
      var spelled = entry.sources.filter(function (s) { return s.items.length; });
      // A cadence (月提示、季调度、…) is its own list; a named term's items are shown below it.
      var cadence = entry.term.indexOf("、") >= 0;
      var tag = spelled.length ? (cadence ? "提法 · " : "") + spelled[0].count + "项" : "未列出内容";
      var tagNode = el("span", "term-count", tag);
      if (!spelled.length) tagNode.title = "原文提到此术语，但没有列出它具体包括哪些内容";
      head.appendChild(tagNode);
      var labels = entry.sources.map(function (s) { return s.citation.label; });
      head.appendChild(pickBox("terms", { id: entry.term, name: entry.term, label: labels[0] }, "加入讲义", nameId));
      item.appendChild(head);
      var readings = {};
      spelled.forEach(function (s) { readings[s.items.join("、")] = true; });
      if (!cadence) {
        Object.keys(readings).forEach(function (reading) { item.appendChild(el("p", "term-items", reading)); });
      }
      var sources = el("ul", "term-sources");
      labels.filter(function (label, i) { return labels.indexOf(label) === i; }).forEach(function (label) {
        sources.appendChild(el("li", "cite", label));
      });
      item.appendChild(sources);
      list.appendChild(item);
    });
  }

  // -- catalogue ---------------------------------------------------------------------------

  function loadCatalogue() {
    setStatus($("catalogue-status"), "正在加载标准目录…");
    return getJSON("catalogue").then(function (records) {
      renderCatalogue(records);
    }, function (error) {
      setStatus($("catalogue-status"), "标准目录加载失败：" + error.message, true);
    });
  }

  // Nest rows by path: unit > category > item; a node may carry its own row (record).
  function catalogueTree(records) {
    var root = { children: [], byName: {} };
    records.forEach(function (record) {
      var node = root;
      record.path.forEach(function (name) {
        if (!node.byName[name]) {
          node.byName[name] = { name: name, children: [], byName: {}, records: [] };
          node.children.push(node.byName[name]);
        }
        node = node.byName[name];
      });
      node.records.push(record);
    });
    return root.children;
  }

  function recordRow(record, name) {
    var row = el("div", "row");
    var entry = { id: record.chunk_id, name: record.path.join(" > "), label: record.citation.label };
    var box = pickBox("catalogue", entry, name);
    box.classList.add("row-pick");
    row.appendChild(box);
    var fields = [["标准内容", record.standard], ["问题描述", record.problem], ["牵头部门", record.department]];
    fields.forEach(function (field) {
      if (field[1]) row.appendChild(el("p", "row-field", field[0] + "：" + field[1]));
    });
    return row;
  }

  function renderNode(node, depth) {
    var item = el("li", "node depth-" + depth);
    if (node.records.length) {
      node.records.forEach(function (record) { item.appendChild(recordRow(record, node.name)); });
    } else {
      item.appendChild(el("div", "row row-plain", node.name));
    }
    if (node.children.length) {
      var list = el("ul", "nodes");
      node.children.forEach(function (child) { list.appendChild(renderNode(child, depth + 1)); });
      item.appendChild(list);
    }
    return item;
  }

  function renderCatalogue(records) {
    var tree = $("catalogue-tree");
    clear(tree);
    var units = catalogueTree(records);
    setStatus($("catalogue-status"), units.length
      ? "共 " + units.length + " 个单元、" + records.length + " 个条目。勾选条目加入讲义。"
      : "知识库中还没有标准目录。");
    units.forEach(function (unit, index) {
      var details = el("details", "unit");
      details.open = index === 0;
      var summary = el("summary", null, unit.name);
      summary.appendChild(el("span", "unit-count", String(countRows(unit))));
      details.appendChild(summary);
      var list = el("ul", "nodes");
      // The unit's own rows (e.g. problems named for the whole unit) come first.
      unit.records.forEach(function (record) {
        var own = el("li", "node depth-1");
        own.appendChild(recordRow(record, "单元总体"));
        list.appendChild(own);
      });
      unit.children.forEach(function (child) { list.appendChild(renderNode(child, 1)); });
      details.appendChild(list);
      tree.appendChild(details);
    });
  }

  function countRows(node) {
    return node.records.length + node.children.reduce(function (sum, child) { return sum + countRows(child); }, 0);
  }

  // -- tabs --------------------------------------------------------------------------------

  function setupTabs() {
    var tabs = Array.prototype.slice.call(document.querySelectorAll('[role="tab"]'));
    function activate(tab, focus) {
      tabs.forEach(function (other) {
        var active = other === tab;
        other.setAttribute("aria-selected", active ? "true" : "false");
        other.tabIndex = active ? 0 : -1;
        $(other.getAttribute("aria-controls")).hidden = !active;
      });
      if (focus) tab.focus();
    }
    tabs.forEach(function (tab, index) {
      tab.addEventListener("click", function () { activate(tab, false); });
      tab.addEventListener("keydown", function (event) {
        var next = null;
        if (event.key === "ArrowRight") next = tabs[(index + 1) % tabs.length];
        else if (event.key === "ArrowLeft") next = tabs[(index - 1 + tabs.length) % tabs.length];
        else if (event.key === "Home") next = tabs[0];
        else if (event.key === "End") next = tabs[tabs.length - 1];
        if (next) {
          event.preventDefault();
          activate(next, true);
        }
      });
    });
  }

  // -- export ------------------------------------------------------------------------------

  // The file name from Content-Disposition, preferring the UTF-8 form (RFC 5987).
  function fileName(header, fallback) {
    if (!header) return fallback;
    var extended = /filename\*\s*=\s*UTF-8''([^;]+)/i.exec(header);
    if (extended) {
      try { return decodeURIComponent(extended[1].trim()); } catch (e) { /* fall through */ }
    }
    var plain = /filename\s*=\s*"([^"]+)"/i.exec(header);
    return plain ? plain[1] : fallback;
  }

  function exportHandout(format) {
    var status = $("export-status");
    var buttons = [$("export-docx"), $("export-md")];
    var body = {
      title: $("handout-title").value.trim() || "学习材料",
      passages: selection.passages.map(function (e) { return e.id; }),
      terms: selection.terms.map(function (e) { return e.id; }),
      catalogue: selection.catalogue.map(function (e) { return e.id; }),
      format: format
    };
    buttons.forEach(function (b) { b.disabled = true; });
    setStatus(status, "正在生成讲义…");
    api("export", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body)
    }).then(function (response) {
      var name = fileName(response.headers.get("Content-Disposition"), body.title + "." + format);
      return response.blob().then(function (blob) {
        var url = URL.createObjectURL(blob);
        var link = document.createElement("a");
        link.href = url;
        link.download = name;
        link.hidden = true;
        document.body.appendChild(link);
        link.click();
        document.body.removeChild(link);
        window.setTimeout(function () { URL.revokeObjectURL(url); }, 10000);
        setStatus(status, "已导出：" + name);
      });
    }).catch(function (error) {
      setStatus(status, "导出失败：" + error.message, true);
    }).then(function () {
      renderSelection();  // re-enables the buttons when something is selected
    });
  }

  // -- start -------------------------------------------------------------------------------

  function start() {
    setupTabs();
    renderSelection();
    $("handout-title").value = selection.title;
    $("handout-title").addEventListener("input", function () {
      selection.title = $("handout-title").value;
      saveSelection();
    });
    $("selection-clear").addEventListener("click", function () {
      GROUPS.forEach(function (group) { selection[group.key] = []; });
      saveSelection();
      renderSelection();
      setStatus($("export-status"), "已清空。");
      $("handout-title").focus();
    });
    $("export-docx").addEventListener("click", function () { exportHandout("docx"); });
    $("export-md").addEventListener("click", function () { exportHandout("md"); });
    $("search-form").addEventListener("submit", function (event) {
      event.preventDefault();
      runSearch(false);
    });
    ["filter-doc", "filter-section", "filter-kind", "filter-issuer", "filter-from", "filter-to", "filter-in-force",
     "filter-mode"].forEach(function (id) {
      $(id).addEventListener("change", function () { if ($("q").value.trim()) runSearch(false); });
    });
    $("glossary-filter").addEventListener("input", renderGlossary);

    var previous = readJSON(SEARCH_KEY, null);
    loadFacets().then(function () {
      if (!previous || !previous.q) return;
      $("q").value = previous.q;
      ["doc", "section", "kind", "issuer", "mode"].forEach(function (name) {
        var select = $("filter-" + name);
        if (previous[name] && select.querySelector('option[value="' + CSS.escape(previous[name]) + '"]')) {
          select.value = previous[name];
        }
      });
      if (previous.issued_from) $("filter-from").value = previous.issued_from;
      if (previous.issued_to) $("filter-to").value = previous.issued_to;
      $("filter-in-force").checked = !!previous.in_force;
      runSearch(false);
    });
    loadGlossary();
    loadCatalogue();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
