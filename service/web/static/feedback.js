/* hypemeter page: corrections after scoring, sent to POST v1/feedback.
 *
 * "Sensational?" / "Reads like misinformation?" yes-no; click (or Enter/Space on) a highlighted
 * phrase to mark it "not loaded"; select words the model missed and press "Mark selection as
 * loaded" (or type the phrase: the keyboard way). Offsets sent to the API count Unicode code points into the headline or body; DOM
 * ranges count UTF-16 units, so they are converted here. User text reaches the DOM only
 * through textContent.
 */
"use strict";

(function () {
  const $ = (id) => document.getElementById(id);
  const el = {
    box: $("feedback"),
    list: $("fb-list"),
    markBtn: $("fb-mark-btn"),
    missed: $("fb-missed"),
    missedBtn: $("fb-missed-btn"),
    sendBtn: $("fb-send-btn"),
    status: $("fb-status"),
    key: $("api-key"),
    fields: { headline: $("out-headline"), body: $("out-body") },
  };
  const FIELD_NAMES = { headline: "headline", body: "article text" };
  let current = null; // { input: {headline, body}, model: {name, version} }
  let verdicts = []; // { field, start, end, verdict, text }
  let lastSelection = null; // { field, start, end, text }
  let sending = false;

  function say(message) {
    el.status.textContent = message;
  }

  /** Code points in text[0:units] (units = a UTF-16 index). */
  function codePoints(text, units) {
    return Array.from(text.slice(0, units)).length;
  }

  /** UTF-16 offset of (node, offset) inside container's text. */
  function unitOffset(container, node, offset) {
    const range = document.createRange();
    range.selectNodeContents(container);
    range.setEnd(node, offset);
    return range.toString().length;
  }

  function fieldOf(node) {
    for (const [name, container] of Object.entries(el.fields)) {
      if (container.contains(node)) return name;
    }
    return null;
  }

  function toVerdict(field, u0, u1, verdict) {
    const text = current.input[field];
    // trim whitespace at the edges of a selection (the API refuses whitespace-only cuts)
    while (u0 < u1 && /\s/.test(text[u0])) u0 += 1;
    while (u1 > u0 && /\s/.test(text[u1 - 1])) u1 -= 1;
    if (u1 <= u0) return null;
    return { field, start: codePoints(text, u0), end: codePoints(text, u1), verdict, text: text.slice(u0, u1) };
  }

  function sameRange(a, b) {
    return a.field === b.field && a.start === b.start && a.end === b.end;
  }

  function markFor(v) {
    for (const mark of el.fields[v.field].querySelectorAll("mark.hl")) {
      const u0 = unitOffset(el.fields[v.field], mark, 0);
      const text = current.input[v.field];
      if (codePoints(text, u0) === v.start && codePoints(text, u0 + mark.textContent.length) === v.end) {
        return mark;
      }
    }
    return null;
  }

  function renderList() {
    el.list.replaceChildren();
    for (const v of verdicts) {
      const li = document.createElement("li");
      const label = document.createElement("span");
      label.textContent = "“" + v.text + "” (" + FIELD_NAMES[v.field] + "): " +
        (v.verdict === "loaded" ? "loaded, the model missed it" : "not loaded");
      const remove = document.createElement("button");
      remove.type = "button";
      remove.textContent = "Undo";
      remove.setAttribute("aria-label", "Undo the correction of “" + v.text + "”");
      remove.addEventListener("click", () => {
        toggle(v);
        el.sendBtn.focus();
      });
      li.append(label, remove);
      el.list.append(li);
    }
    for (const mark of document.querySelectorAll("mark.hl")) {
      mark.classList.remove("fb-not-loaded");
    }
    for (const v of verdicts) {
      const mark = v.verdict === "not_loaded" ? markFor(v) : null;
      if (mark) mark.classList.add("fb-not-loaded");
    }
  }

  /** Add the verdict, or remove it when the same range is already marked. */
  function toggle(v) {
    const i = verdicts.findIndex((o) => sameRange(o, v));
    if (i >= 0) {
      verdicts.splice(i, 1);
      say("Removed your correction of “" + v.text + "”.");
    } else {
      verdicts.push(v);
      say(v.verdict === "loaded"
        ? "Marked “" + v.text + "” as a loaded phrase the model missed."
        : "Marked “" + v.text + "” as not loaded.");
    }
    renderList();
  }

  function onMarkActivated(mark) {
    if (!current) return;
    const field = fieldOf(mark);
    if (!field) return;
    const u0 = unitOffset(el.fields[field], mark, 0);
    const v = toVerdict(field, u0, u0 + mark.textContent.length, "not_loaded");
    if (v) toggle(v);
  }

  function rememberSelection() {
    const sel = window.getSelection();
    if (!current || !sel || sel.rangeCount === 0 || sel.isCollapsed) return;
    const range = sel.getRangeAt(0);
    const field = fieldOf(range.startContainer);
    if (!field || fieldOf(range.endContainer) !== field) return;
    const container = el.fields[field];
    const u0 = unitOffset(container, range.startContainer, range.startOffset);
    const u1 = unitOffset(container, range.endContainer, range.endOffset);
    const v = toVerdict(field, u0, u1, "loaded");
    if (v) lastSelection = v;
  }

  function markSelection() {
    rememberSelection();
    if (!lastSelection) {
      say("First select some words in the headline or the article text above.");
      return;
    }
    const v = lastSelection;
    lastSelection = null;
    if (!verdicts.some((o) => sameRange(o, v) && o.verdict === "loaded")) toggle(v);
  }

  /** The typed phrase, found in the headline first, then the body (first occurrence). */
  function addTypedPhrase() {
    const phrase = el.missed.value.trim();
    if (!current || !phrase) {
      say("Type a phrase from the headline or the article text first.");
      return;
    }
    for (const field of ["headline", "body"]) {
      const u0 = current.input[field].indexOf(phrase);
      if (u0 >= 0) {
        const v = toVerdict(field, u0, u0 + phrase.length, "loaded");
        if (v && !verdicts.some((o) => sameRange(o, v) && o.verdict === "loaded")) toggle(v);
        el.missed.value = "";
        return;
      }
    }
    say("“" + phrase + "” is not in the headline or the article text; check the spelling.");
  }

  function readLabel(name) {
    const checked = document.querySelector('input[name="fb-' + name + '"]:checked');
    return checked ? Number(checked.value) : null;
  }

  async function send() {
    if (!current || sending) return;
    const labels = {};
    for (const name of ["sensational", "misinformation"]) {
      const value = readLabel(name);
      if (value !== null) labels[name] = value;
    }
    if (Object.keys(labels).length === 0 && verdicts.length === 0) {
      say("Nothing to send yet: answer a question above or mark a phrase first.");
      return;
    }
    const payload = { headline: current.input.headline, body: current.input.body, spans: verdicts };
    if (Object.keys(labels).length) payload.labels = labels;
    if (current.model && current.model.version) payload.model_version = String(current.model.version);
    const profile = new URLSearchParams(window.location.search).get("profile");
    if (profile && /^[a-z0-9][a-z0-9_.-]{0,63}$/.test(profile)) payload.profile = profile;
    const headers = { "Content-Type": "application/json", Accept: "application/json" };
    const key = el.key ? el.key.value.trim() : "";
    if (key && /^[\x21-\x7e]+$/.test(key)) headers.Authorization = "Bearer " + key;
    sending = true;
    el.sendBtn.setAttribute("aria-disabled", "true");
    say("Sending your correction…");
    try {
      const r = await fetch("v1/feedback", {
        method: "POST", headers, body: JSON.stringify(payload), cache: "no-store",
        credentials: "same-origin",
      });
      let answer = null;
      try {
        answer = await r.json();
      } catch (_) {
        answer = null;
      }
      if (r.status === 201 && answer && answer.feedback_id) {
        say("Thank you: your correction was saved (reference " + String(answer.feedback_id).slice(0, 8) +
          (payload.profile ? "). The profile " + payload.profile + " adapts to it within seconds."
            : "). The next model trained on corrections learns from it."));
      } else {
        const message = answer && answer.error && answer.error.message ? String(answer.error.message) : "status " + r.status;
        say("Your correction was not saved: " + message);
      }
    } catch (_) {
      say("Your correction was not saved: the server could not be reached. Try again.");
    } finally {
      sending = false;
      el.sendBtn.removeAttribute("aria-disabled");
    }
  }

  function reset(detail) {
    current = detail;
    verdicts = [];
    lastSelection = null;
    for (const input of el.box.querySelectorAll('input[type="radio"]')) input.checked = false;
    el.missed.value = "";
    renderList();
    say("");
    el.box.hidden = !detail;
  }

  document.addEventListener("hypemeter:scored", (e) => reset(e.detail));
  document.addEventListener("selectionchange", rememberSelection);
  for (const container of Object.values(el.fields)) {
    container.addEventListener("click", (e) => {
      const mark = e.target.closest && e.target.closest("mark.hl");
      const sel = window.getSelection();
      if (mark && (!sel || sel.isCollapsed)) onMarkActivated(mark);
    });
    container.addEventListener("keydown", (e) => {
      const mark = e.target.closest && e.target.closest("mark.hl");
      if (mark && (e.key === "Enter" || e.key === " ")) {
        e.preventDefault();
        onMarkActivated(mark);
      }
    });
  }
  // the button keeps the selection: mousedown on it would otherwise collapse it first
  el.markBtn.addEventListener("mousedown", (e) => e.preventDefault());
  el.markBtn.addEventListener("click", markSelection);
  el.missedBtn.addEventListener("click", addTypedPhrase);
  el.missed.addEventListener("keydown", (e) => {
    if (e.key === "Enter") {
      e.preventDefault();
      addTypedPhrase();
    }
  });
  el.sendBtn.addEventListener("click", send);
  // app.js takes a result off the screen (Clear, Example): its corrections go with it
  document.addEventListener("hypemeter:cleared", () => reset(null));
  reset(null);
})();
