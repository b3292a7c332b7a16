/* hypemeter page: calls POST v1/score and shows the scores and the highlighted phrases.
 *
 * No framework, no build step. User text only ever reaches the DOM through textContent /
 * createTextNode, never parsed as HTML. Span offsets from the API count Unicode code points
 * (Python), while JS strings index UTF-16 code units: codePointIndex() converts them.
 */
"use strict";

(function () {
  const CATEGORIES = {
    // the categories results carry (hypemeter/schema.py SPAN_CATEGORIES)
    loaded_language: {
      label: "Loaded language",
      help: "emotionally charged, exaggerated, fear-laden or flag-waving words",
    },
    urgency: { label: "Urgency", help: "pressure to act or share right now" },
    clickbait: { label: "Clickbait", help: "teasers that hold back the point to get a click" },
    name_calling: { label: "Name-calling", help: "labels that attack people or groups" },
    doubt: { label: "Casting doubt", help: "undermining trust without evidence" },
    slogan: { label: "Slogan", help: "catchy phrases in place of argument" },
  };
  const FIELD_LABELS = { headline: "Headline", body: "Article text", "api-key": "API key" };
  const KEY_STORAGE = "hypemeter.apiKey";
  // ?profile=NAME: score (and correct) as that profile (docs/profiles.md)
  const PROFILE = (() => {
    const name = new URLSearchParams(window.location.search).get("profile");
    return name && /^[a-z0-9][a-z0-9_.-]{0,63}$/.test(name) ? name : null;
  })();
  const TIMEOUT_MS = 60000;

  // A fictional article written for this page (no real people, places or events).
  const EXAMPLE = {
    headline: "🚨 SHOCKING: Scientists TERRIFIED as Mystery 'Glow Fog' Swallows Entire Town Overnight",
    body:
      "You won't believe what happened next in the sleepy lakeside town of Marrowby. " +
      "Residents woke on Tuesday to a glowing green fog so thick that, according to one " +
      "panicked neighbour, \"you couldn't see your own hand.\"\n\n" +
      "Experts are baffled, and insiders say officials are desperately trying to cover up " +
      "the truth. The outrageous silence from the town council has sparked a furious " +
      "backlash online, with thousands demanding answers. 😱\n\n" +
      "\"This is the most terrifying thing I have ever seen,\" said local baker Edna Pruitt, 71. " +
      "\"Everyone is scared to death.\"\n\n" +
      "Is your town next? Act now: seal your windows and share this before it's too late!",
  };

  const $ = (id) => document.getElementById(id);
  const el = {
    form: $("score-form"),
    keyRow: $("key-row"),
    key: $("api-key"),
    remember: $("remember-key"),
    headline: $("headline"),
    body: $("body"),
    scoreBtn: $("score-btn"),
    exampleBtn: $("example-btn"),
    clearBtn: $("clear-btn"),
    error: $("error"),
    status: $("status"),
    empty: $("results-empty"),
    results: $("results-body"),
    legend: $("legend"),
    summary: $("phrases-summary"),
    outHeadline: $("out-headline"),
    outBody: $("out-body"),
    outHeadlineNone: $("out-headline-none"),
    outBodyNone: $("out-body-none"),
    rows: $("phrase-rows"),
    details: $("phrase-details"),
    detailsSummary: $("phrase-details-summary"),
    modelName: $("model-name"),
    modelVersion: $("model-version"),
    descriptions: $("span-descriptions"),
    tooltip: $("tooltip"),
  };

  let config = { api_key_required: false, max_field_chars: null, score_path: "v1/score" };
  let busy = false;
  let requestSeq = 0;

  // ------------------------------------------------------------------ helpers

  function categoryInfo(category) {
    const known = CATEGORIES[category];
    if (known) return { ...known, cls: "cat-" + category };
    const words = String(category || "other").replace(/_/g, " ");
    return { label: words.charAt(0).toUpperCase() + words.slice(1), help: "", cls: "cat-other" };
  }

  function fmt(value) {
    return Number.isFinite(value) ? value.toFixed(2) : "–";
  }

  /** map[i] = UTF-16 index of code point i in text; map.length = code points + 1. */
  function codePointIndex(text) {
    const map = [0];
    let units = 0;
    for (const ch of text) {
      units += ch.length;
      map.push(units);
    }
    return map;
  }

  function nearestIndexOf(text, needle, around) {
    if (!needle) return -1;
    let best = -1;
    let from = text.indexOf(needle);
    while (from >= 0) {
      if (best < 0 || Math.abs(from - around) < Math.abs(best - around)) best = from;
      from = text.indexOf(needle, from + 1);
    }
    return best;
  }

  /**
   * Turn API spans (code-point offsets, any order) into non-overlapping UTF-16 ranges sorted
   * by position. Spans whose offsets do not match their text are looked up by text; spans
   * that still cannot be placed, or that overlap a heavier one, are skipped and counted.
   */
  function placeSpans(text, spans) {
    const map = codePointIndex(text);
    const n = map.length - 1;
    const candidates = [];
    let skipped = 0;
    for (const span of spans) {
      if (!span || !Number.isInteger(span.start) || !Number.isInteger(span.end)) {
        skipped += 1;
        continue;
      }
      const start = Math.min(Math.max(span.start, 0), n);
      const end = Math.min(Math.max(span.end, 0), n);
      let u0 = map[start];
      let u1 = map[end];
      if (typeof span.text === "string" && text.slice(u0, u1) !== span.text) {
        const found = nearestIndexOf(text, span.text, u0);
        if (found < 0) {
          skipped += 1;
          continue;
        }
        u0 = found;
        u1 = found + span.text.length;
      }
      if (u1 <= u0) {
        skipped += 1;
        continue;
      }
      candidates.push({ span, u0, u1 });
    }
    candidates.sort((a, b) => a.u0 - b.u0);
    if (candidates.every((c, i) => i === 0 || candidates[i - 1].u1 <= c.u0)) {
      return { placed: candidates, skipped };
    }
    // Overlaps (the API never sends them, but guard anyway): the heavier span wins.
    const weight = (c) => (Number.isFinite(Number(c.span.weight)) ? Number(c.span.weight) : 0);
    candidates.sort((a, b) => weight(b) - weight(a) || a.u0 - b.u0);
    const placed = [];
    for (const c of candidates) {
      if (placed.some((p) => c.u0 < p.u1 && p.u0 < c.u1)) {
        skipped += 1;
        continue;
      }
      placed.push(c);
    }
    placed.sort((a, b) => a.u0 - b.u0);
    return { placed, skipped };
  }

  function setStatus(message) {
    el.status.textContent = message;
  }

  function clearError() {
    el.error.replaceChildren();
    for (const input of [el.headline, el.body, el.key]) {
      input.removeAttribute("aria-invalid");
      const ids = (input.getAttribute("aria-describedby") || "").split(/\s+/).filter((x) => x && x !== "error");
      if (ids.length) input.setAttribute("aria-describedby", ids.join(" "));
      else input.removeAttribute("aria-describedby");
    }
  }

  function showError(title, detail, fieldId) {
    el.error.replaceChildren();
    const strong = document.createElement("strong");
    strong.textContent = title;
    el.error.append(strong);
    if (detail) {
      const p = document.createElement("span");
      p.className = "error-detail";
      p.textContent = " " + detail;
      el.error.append(p);
    }
    setStatus("");
    const input = fieldId ? $(fieldId) : null;
    if (input) {
      if (fieldId === "api-key") el.keyRow.hidden = false;
      input.setAttribute("aria-invalid", "true");
      const ids = (input.getAttribute("aria-describedby") || "").split(/\s+/).filter(Boolean);
      if (!ids.includes("error")) ids.push("error");
      input.setAttribute("aria-describedby", ids.join(" "));
      input.focus();
    }
  }

  function apiErrorMessage(status, payload) {
    const err = payload && typeof payload === "object" && payload.error && typeof payload.error === "object"
      ? payload.error : {};
    const message = typeof err.message === "string" ? err.message : "";
    const field = typeof err.field === "string" ? err.field : "";
    const fieldName = field.split(".").pop();
    const fieldId = fieldName === "headline" || fieldName === "body" ? fieldName : null;
    const where = fieldId ? FIELD_LABELS[fieldId] + ": " : "";
    switch (status) {
      case 401:
        return {
          title: "This server needs a valid API key.",
          detail: (el.key.value.trim() ? "The key was not accepted. " : "Enter the key in the API key field, then press Score again. ") +
            (message ? "(" + message + ")" : ""),
          fieldId: "api-key",
        };
      case 413:
        return {
          title: "The text is too long to score.",
          detail: (message ? message + ". " : "") + "Shorten the article and try again.",
          fieldId,
        };
      case 422:
        if (err.code === "unsupported_language") {
          return {
            title: "This text is not in a language the model reads, so it was not scored.",
            detail: "The server said: " + (message || "unsupported language") +
              ". Scores for text the model cannot read would be meaningless.",
            fieldId: null,
          };
        }
        if (/both empty/i.test(message)) {
          return {
            title: "Nothing to score yet.",
            detail: "Type or paste a headline, an article text, or both (the server said: " + message + ").",
            fieldId: fieldId || "body",
          };
        }
        return {
          title: "Please check what you entered.",
          detail: where + (message || "the request was not valid") + ".",
          fieldId: fieldId || "body",
        };
      case 415:
        return { title: "The server could not read the request.", detail: message, fieldId: null };
      case 503:
        return {
          title: "The scoring model is not ready yet.",
          detail: "The server is up but has no model loaded. Try again in a minute" +
            (message ? " (" + message + ")." : "."),
          fieldId: null,
        };
      default:
        return {
          title: status >= 500 ? "The server ran into a problem (HTTP " + status + ")."
            : "The request failed (HTTP " + status + ").",
          detail: message || "Try again; if it keeps happening, tell whoever runs this server.",
          fieldId: null,
        };
    }
  }

  function setBusy(on) {
    busy = on;
    el.scoreBtn.setAttribute("aria-disabled", on ? "true" : "false");
    el.scoreBtn.textContent = on ? "Scoring…" : "Score";
    document.body.classList.toggle("busy", on);
  }

  // ------------------------------------------------------------------ tooltip

  let tipFor = null;
  let hideTimer = 0;

  function showTip(mark) {
    clearTimeout(hideTimer);
    const desc = $(mark.getAttribute("aria-describedby") || "");
    if (!desc) return;
    tipFor = mark;
    el.tooltip.textContent = desc.textContent;
    el.tooltip.hidden = false;
    const r = mark.getBoundingClientRect();
    const tw = el.tooltip.offsetWidth;
    const th = el.tooltip.offsetHeight;
    const left = Math.min(Math.max(8, r.left), Math.max(8, window.innerWidth - tw - 8));
    let top = r.bottom + 6;
    if (top + th > window.innerHeight - 4 && r.top - th - 6 > 0) top = r.top - th - 6;
    el.tooltip.style.left = left + window.scrollX + "px";
    el.tooltip.style.top = top + window.scrollY + "px";
  }

  function hideTip(delay) {
    clearTimeout(hideTimer);
    const hide = () => {
      el.tooltip.hidden = true;
      tipFor = null;
    };
    if (delay) hideTimer = setTimeout(hide, delay);
    else hide();
  }

  function wireTooltips(container) {
    container.addEventListener("mouseover", (e) => {
      const mark = e.target.closest && e.target.closest("mark.hl");
      if (mark) showTip(mark);
    });
    container.addEventListener("mouseout", (e) => {
      const mark = e.target.closest && e.target.closest("mark.hl");
      if (mark && document.activeElement !== mark) hideTip(300);
    });
    container.addEventListener("focusin", (e) => {
      if (e.target.matches && e.target.matches("mark.hl")) showTip(e.target);
    });
    container.addEventListener("focusout", () => hideTip(0));
  }

  el.tooltip.addEventListener("mouseenter", () => clearTimeout(hideTimer));
  el.tooltip.addEventListener("mouseleave", () => hideTip(200));
  document.addEventListener("keydown", (e) => {
    if (e.key === "Escape" && !el.tooltip.hidden) hideTip(0);
  });
  window.addEventListener("resize", () => tipFor && showTip(tipFor));

  // ------------------------------------------------------------------ rendering

  function renderScore(prefix, value, meaning) {
    const bar = $(prefix + "-bar");
    const v = Number.isFinite(value) ? Math.min(Math.max(value, 0), 1) : 0;
    const band = v >= 0.7 ? "high" : v >= 0.4 ? "mid" : "low";
    $(prefix + "-value").textContent = fmt(value);
    $(prefix + "-meaning").textContent = fmt(value) + " — " + meaning;
    bar.setAttribute("aria-valuenow", String(v));
    bar.setAttribute("aria-valuetext", fmt(value) + ", " + meaning.split(":")[0]);
    bar.dataset.band = band;
    bar.firstElementChild.style.width = (v * 100).toFixed(1) + "%";
  }

  function sensationalismMeaning(v) {
    if (v >= 0.8) return "highly sensational: loaded, fear-laden or clickbait language";
    if (v >= 0.5) return "sensational: noticeably loaded or attention-grabbing wording";
    if (v >= 0.2) return "somewhat sensational: a few charged or attention-grabbing phrases";
    return "not sensational: mostly neutral, matter-of-fact wording";
  }

  function misinformationMeaning(v) {
    let level;
    if (v >= 0.7) level = "high: the writing style strongly resembles fabricated stories";
    else if (v >= 0.4) level = "moderate: some stylistic traits shared with fabricated stories";
    else level = "low: the style reads like ordinary reporting";
    return level + " (stylistic resemblance only — not a fact-check)";
  }

  /** Sentences (code-point offsets) as sorted, non-overlapping UTF-16 ranges. */
  function placeSentences(text, sentences) {
    const map = codePointIndex(text);
    const n = map.length - 1;
    const out = [];
    for (const s of sentences || []) {
      if (!s || !Number.isInteger(s.start) || !Number.isInteger(s.end)) continue;
      const u0 = map[Math.min(Math.max(s.start, 0), n)];
      const u1 = map[Math.min(Math.max(s.end, 0), n)];
      const score = Number(s.sensationalism);
      if (u1 > u0 && Number.isFinite(score)) out.push({ u0, u1, score });
    }
    out.sort((a, b) => a.u0 - b.u0);
    return out.filter((c, i) => i === 0 || out[i - 1].u1 <= c.u0);
  }

  /** A sentence's shade: the more sensational, the warmer and stronger. */
  function shadeSentence(node, score) {
    node.className = "sent";
    node.dataset.score = fmt(score);
    node.style.backgroundColor = "rgba(255, 166, 0, " + (0.04 + 0.4 * Math.min(Math.max(score, 0), 1)).toFixed(3) + ")";
    node.title = "Sentence: sensationalism " + fmt(score);
  }

  function renderField(container, noneNote, fieldName, text, spans, sentences) {
    container.replaceChildren();
    noneNote.hidden = text.length > 0;
    container.hidden = text.length === 0;
    const { placed, skipped } = placeSpans(text, spans);
    const shades = placeSentences(text, sentences);
    // Sentence shading goes under the highlights: text and marks go into the sentence's
    // element when they start inside one (a mark never crosses a sentence end).
    let si = 0;
    let current = null;
    const target = (u) => {
      while (si < shades.length && shades[si].u1 <= u) {
        si += 1;
        current = null;
      }
      if (si < shades.length && shades[si].u0 <= u) {
        if (!current) {
          current = document.createElement("span");
          shadeSentence(current, shades[si].score);
          container.append(current);
        }
        return current;
      }
      current = null;
      return container;
    };
    const appendText = (from, to) => {
      const cuts = [from, to];
      for (const r of shades) {
        if (r.u0 > from && r.u0 < to) cuts.push(r.u0);
        if (r.u1 > from && r.u1 < to) cuts.push(r.u1);
      }
      cuts.sort((a, b) => a - b);
      for (let k = 0; k + 1 < cuts.length; k += 1) {
        if (cuts[k + 1] > cuts[k]) target(cuts[k]).append(document.createTextNode(text.slice(cuts[k], cuts[k + 1])));
      }
    };
    let pos = 0;
    placed.forEach((c, i) => {
      if (c.u0 > pos) appendText(pos, c.u0);
      const info = categoryInfo(c.span.category);
      const weight = Number(c.span.weight);
      const descId = "desc-" + fieldName + "-" + i;
      const desc = document.createElement("span");
      desc.id = descId;
      desc.textContent = info.label + " · weight " + fmt(weight) + (info.help ? " — " + info.help : "");
      el.descriptions.append(desc);

      const mark = document.createElement("mark");
      mark.className = "hl " + info.cls;
      mark.tabIndex = 0;
      mark.textContent = text.slice(c.u0, c.u1);
      mark.setAttribute("aria-describedby", descId);
      mark.dataset.category = String(c.span.category);
      mark.dataset.weight = fmt(weight);
      target(c.u0).append(mark);
      pos = c.u1;
    });
    if (pos < text.length) appendText(pos, text.length);
    return { placed: placed.map((c) => c.span), skipped };
  }

  function renderLegend(spans) {
    el.legend.replaceChildren();
    const counts = new Map();
    for (const s of spans) counts.set(s.category, (counts.get(s.category) || 0) + 1);
    const order = Object.keys(CATEGORIES).filter((c) => counts.has(c));
    for (const c of counts.keys()) if (!order.includes(c)) order.push(c);
    for (const category of order) {
      const info = categoryInfo(category);
      const li = document.createElement("li");
      const swatch = document.createElement("span");
      swatch.className = "swatch " + info.cls;
      swatch.setAttribute("aria-hidden", "true");
      const name = document.createElement("strong");
      name.textContent = info.label;
      const rest = document.createElement("span");
      const n = counts.get(category);
      rest.textContent = (info.help ? " — " + info.help : "") + " (" + n + (n === 1 ? " phrase)" : " phrases)");
      li.append(swatch, name, rest);
      el.legend.append(li);
    }
    el.legend.parentElement.hidden = order.length === 0;
  }

  function renderRows(spans) {
    el.rows.replaceChildren();
    const sorted = [...spans].sort((a, b) => (Number(b.weight) || 0) - (Number(a.weight) || 0));
    for (const s of sorted) {
      const tr = document.createElement("tr");
      const info = categoryInfo(s.category);
      const cells = [String(s.text), FIELD_LABELS[s.field] || String(s.field), info.label, fmt(Number(s.weight))];
      cells.forEach((value, i) => {
        const td = document.createElement("td");
        if (i === 0) {
          const m = document.createElement("span");
          m.className = "chip " + info.cls;
          m.textContent = value;
          td.append(m);
        } else {
          td.textContent = value;
        }
        tr.append(td);
      });
      el.rows.append(tr);
    }
    el.detailsSummary.textContent = "List of flagged phrases (" + sorted.length + "), strongest first";
    el.details.hidden = sorted.length === 0;
  }

  function renderResult(input, data) {
    hideTip(0);
    el.descriptions.replaceChildren();
    const scores = data.scores || {};
    const sens = Number(scores.sensationalism);
    const mis = Number(scores.misinformation_risk);
    renderScore("sens", sens, sensationalismMeaning(sens));
    renderScore("mis", mis, misinformationMeaning(mis));

    const spans = Array.isArray(data.spans) ? data.spans : [];
    const byField = { headline: [], body: [] };
    for (const s of spans) if (s && byField[s.field]) byField[s.field].push(s);
    const sentences = { headline: [], body: [] };
    for (const s of Array.isArray(data.sentences) ? data.sentences : []) if (s && sentences[s.field]) sentences[s.field].push(s);
    const h = renderField(el.outHeadline, el.outHeadlineNone, "headline", input.headline, byField.headline, sentences.headline);
    const b = renderField(el.outBody, el.outBodyNone, "body", input.body, byField.body, sentences.body);
    const shown = [...h.placed, ...b.placed];
    const skipped = h.skipped + b.skipped + (spans.length - byField.headline.length - byField.body.length);
    renderLegend(shown);
    renderRows(shown);

    let summary;
    if (shown.length === 0) {
      summary = "No phrase stood out as sensational.";
    } else {
      summary = shown.length + (shown.length === 1 ? " phrase is" : " phrases are") +
        " highlighted below, coloured by category. Hover over a highlight, or move to it with Tab, to see its category and weight (0–1: the chance that an annotator would mark it). Sentences are shaded by their own score: the warmer, the more sensational.";
    }
    if (skipped > 0) summary += " " + skipped + " phrase(s) could not be placed in the text and are not shown.";
    el.summary.textContent = summary;

    const model = data.model || {};
    el.modelName.textContent = String(model.name || "hypemeter");
    el.modelVersion.textContent = String(model.version || "unknown");

    el.empty.hidden = true;
    el.results.hidden = false;
    // feedback.js offers corrections for exactly this text and this model
    document.dispatchEvent(new CustomEvent("hypemeter:scored", { detail: { input, model } }));
    setStatus("Scored. Sensationalism " + fmt(sens) + " (" + sensationalismMeaning(sens).split(":")[0] +
      "), misinformation risk " + fmt(mis) + ". " + shown.length + " phrase(s) highlighted.");
    if (PROFILE) showProfileState();
  }

  // The profile's state under the status line: "adapted on 150 corrections, 2 min ago".
  async function showProfileState() {
    const headers = { Accept: "application/json" };
    const key = readKey();
    if (key && /^[\x21-\x7e]+$/.test(key)) headers.Authorization = "Bearer " + key;
    let text = "Profile " + PROFILE + ": ";
    try {
      const r = await fetch("v1/profiles/" + encodeURIComponent(PROFILE), { headers, cache: "no-store" });
      const state = r.ok ? await r.json() : null;
      const adapter = state && state.adapter;
      if (!state) {
        text += "its state needs a key of the profile (status " + r.status + ").";
      } else if (!adapter || !adapter.active) {
        text += "not adapted yet (" + state.corrections.total + " correction(s)); base scores.";
      } else {
        const labels = Math.max(...Object.values(adapter.heads).map((h) => h.labels || 0));
        const minutes = Math.round((Date.now() - Date.parse(adapter.fitted_at)) / 60000);
        text += "adapted on " + labels + " corrections, " + (minutes < 1 ? "just now" : minutes + " min ago") + ".";
      }
    } catch (_) {
      text += "state unavailable.";
    }
    setStatus(el.status.textContent + " " + text);
  }

  // ------------------------------------------------------------------ requests

  function readKey() {
    return el.key.value.trim();
  }

  async function score() {
    if (busy) return;
    clearError();
    const input = { headline: el.headline.value, body: el.body.value };
    const headers = { "Content-Type": "application/json", Accept: "application/json" };
    const key = readKey();
    if (key) {
      if (!/^[\x21-\x7e]+$/.test(key)) {
        showError("That API key contains characters that cannot be sent.", "Check for spaces or accented letters.", "api-key");
        return;
      }
      headers.Authorization = "Bearer " + key;
    }
    rememberKey();
    const seq = ++requestSeq;
    setBusy(true);
    setStatus("Scoring…");
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), TIMEOUT_MS);
    let response;
    let payload = null;
    try {
      response = await fetch(config.score_path || "v1/score", {
        method: "POST",
        headers,
        body: JSON.stringify(Object.assign(
          { headline: input.headline, body: input.body, explain: true, sentences: true },
          PROFILE ? { profile: PROFILE } : {})),
        signal: controller.signal,
        cache: "no-store",
        credentials: "same-origin",
      });
      const text = await response.text();
      try {
        payload = text ? JSON.parse(text) : null;
      } catch (_) {
        payload = null;
      }
    } catch (err) {
      if (seq !== requestSeq) return;
      const timedOut = err && err.name === "AbortError";
      showError(
        timedOut ? "The server took too long to answer." : "Could not reach the server.",
        timedOut ? "Try again, perhaps with a shorter text."
          : "Check your connection and that the hypemeter service is running, then try again.",
        null,
      );
      return;
    } finally {
      clearTimeout(timer);
      if (seq === requestSeq) setBusy(false);
    }
    if (seq !== requestSeq) return;
    if (!response.ok) {
      const e = apiErrorMessage(response.status, payload);
      showError(e.title, e.detail, e.fieldId);
      return;
    }
    if (!payload || typeof payload !== "object" || !payload.scores) {
      showError("The server sent an answer this page does not understand.", "Try again later.", null);
      return;
    }
    renderResult(input, payload);
  }

  function rememberKey() {
    try {
      if (el.remember.checked && readKey()) sessionStorage.setItem(KEY_STORAGE, readKey());
      else sessionStorage.removeItem(KEY_STORAGE);
    } catch (_) {
      /* storage disabled: the key stays in memory only */
    }
  }

  function applyConfig(cfg) {
    if (cfg && typeof cfg === "object") config = { ...config, ...cfg };
    el.keyRow.hidden = !(config.api_key_required || PROFILE);
    if (config.api_key_required || PROFILE) {
      try {
        const saved = sessionStorage.getItem(KEY_STORAGE);
        if (saved) {
          el.key.value = saved;
          el.remember.checked = true;
        }
      } catch (_) {
        /* ignore */
      }
    }
  }

  async function loadConfig() {
    let embedded = null;
    try {
      embedded = JSON.parse($("page-config").textContent || "{}");
    } catch (_) {
      embedded = null;
    }
    if (embedded && typeof embedded.api_key_required === "boolean") {
      applyConfig(embedded);
      return;
    }
    try {
      const r = await fetch("v1/page-config", { headers: { Accept: "application/json" }, cache: "no-store" });
      if (r.ok) applyConfig(await r.json());
    } catch (_) {
      /* the page still works; a 401 will reveal the key field */
    }
  }

  // ------------------------------------------------------------------ wiring

  el.form.addEventListener("submit", (e) => {
    e.preventDefault();
    score();
  });
  /** Take the previous result off the screen (new text is coming): the scores, highlights
   * and corrections belonged to the old text. A request still in flight is dropped. */
  function clearResult() {
    clearError();
    requestSeq++;
    setBusy(false);
    el.results.hidden = true;
    el.empty.hidden = false;
    hideTip(0);
    document.dispatchEvent(new CustomEvent("hypemeter:cleared"));
  }

  el.exampleBtn.addEventListener("click", () => {
    clearResult();
    el.headline.value = EXAMPLE.headline;
    el.body.value = EXAMPLE.body;
    setStatus("A fictional example article has been filled in. Press Score to see how it scores.");
  });
  el.clearBtn.addEventListener("click", () => {
    clearResult();
    el.headline.value = "";
    el.body.value = "";
    setStatus("Cleared.");
    el.headline.focus();
  });
  for (const input of [el.headline, el.body, el.key]) {
    input.addEventListener("input", () => {
      if (input.getAttribute("aria-invalid") === "true") clearError();
    });
  }
  el.remember.addEventListener("change", rememberKey);
  wireTooltips(el.outHeadline);
  wireTooltips(el.outBody);

  loadConfig();
})();
