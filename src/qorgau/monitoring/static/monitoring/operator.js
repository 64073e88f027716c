/* The operator's screen: polls the live feed, redraws the list, beeps for new alerts, draws the map.
 *
 * No inline script (strict CSP): the configuration comes from the page's json_script element. Her
 * position and zones are fetched per selected alert and never stored beyond the map layer, which is
 * cleared as soon as another alert is selected or the alert is resolved.
 */
(function () {
  "use strict";

  var cfgEl = document.getElementById("operator-config");
  if (!cfgEl) { return; }
  var cfg = JSON.parse(cfgEl.textContent);
  var L10N = cfg.labels;
  var root = document.querySelector("[data-testid=operator-screen]");
  var tbody = root.querySelector("[data-rows]");
  var empty = root.querySelector("[data-empty]");
  var countEl = root.querySelector("[data-open-count]");
  var statusEl = root.querySelector("[data-testid=feed-status]");
  var soundBtn = root.querySelector("[data-testid=sound-toggle]");
  var panel = root.querySelector("[data-panel]");
  var panelHint = root.querySelector("[data-panel-hint]");
  var csrf = (root.querySelector("input[name=csrfmiddlewaretoken]") || {}).value || "";
  var baseTitle = document.title.replace(/^\(\d+\)\s*/, "");

  var since = cfg.since;
  var rows = {};          // id -> last row JSON
  var selected = null;    // selected alert id
  var serverSkew = 0;     // server clock minus browser clock, ms
  var audio = null;       // AudioContext once the operator turned sound on
  var lastRepeat = 0;

  function urlFor(template, id) { return template.replace("/0/", "/" + id + "/"); }

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined && text !== null) { node.textContent = text; }
    return node;
  }

  /* ---- sound: a WebAudio beep, no media file; browsers need one gesture before a page may play. ---- */
  function beep(freq, count) {
    if (!audio) { return; }
    root.dataset.beeps = String((Number(root.dataset.beeps) || 0) + 1);  // what the browser test checks
    var t = audio.currentTime + 0.02;
    for (var i = 0; i < count; i++) {
      var osc = audio.createOscillator();
      var gain = audio.createGain();
      osc.type = "square";
      osc.frequency.value = freq;
      gain.gain.setValueAtTime(0.0001, t);
      gain.gain.exponentialRampToValueAtTime(0.25, t + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, t + 0.22);
      osc.connect(gain).connect(audio.destination);
      osc.start(t);
      osc.stop(t + 0.25);
      t += 0.32;
    }
  }

  function alarm(severity) {
    if (severity === "critical") { beep(880, 3); } else { beep(620, 1); }
  }

  soundBtn.addEventListener("click", function () {
    if (audio && audio.state === "running") {
      audio.suspend();
      soundBtn.textContent = L10N.sound_off;
      soundBtn.setAttribute("aria-pressed", "false");
      soundBtn.classList.remove("on");
      return;
    }
    var Ctx = window.AudioContext || window.webkitAudioContext;
    if (!Ctx) { return; }
    audio = audio || new Ctx();
    audio.resume().then(function () { beep(660, 1); });
    soundBtn.textContent = L10N.sound_on;
    soundBtn.setAttribute("aria-pressed", "true");
    soundBtn.classList.add("on");
  });

  /* ---- the list ---- */
  function pad(n) { return (n < 10 ? "0" : "") + n; }

  function elapsed(iso) {
    var s = Math.max(0, Math.floor((Date.now() + serverSkew - Date.parse(iso)) / 1000));
    var h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60);
    return (h ? h + ":" + pad(m) : m) + ":" + pad(s % 60);
  }

  function rowNode(r) {
    var tr = el("tr", {"data-alert": r.id, "data-status": r.status, "data-severity": r.severity,
                       "class": "sev-" + r.severity + " st-" + r.status});
    var td = el("td");
    var btn = el("button", {type: "button", "class": "link op-select", "data-select": r.id}, r.kind_label);
    td.appendChild(btn);
    td.appendChild(el("div", {"class": "small muted"},
      r.severity_label + (r.escalation_level ? " · " + L10N.escalated + " ×" + r.escalation_level : "")));
    tr.appendChild(td);
    td = el("td");
    td.appendChild(el("time", {datetime: r.raised_at, "class": "nowrap"}, r.raised_local));
    td.appendChild(el("div", {"class": "small muted", "data-elapsed": ""}));
    tr.appendChild(td);
    td = el("td");
    td.appendChild(el("span", {"class": "op-st", "data-testid": "alert-status"}, r.status_label));
    tr.appendChild(td);
    td = el("td", {}, r.region);
    if (r.district) { td.appendChild(el("div", {"class": "small muted"}, r.district)); }
    tr.appendChild(td);
    td = el("td");
    td.appendChild(el("span", {"class": "nowrap"}, r.case_number));
    td.appendChild(el("div", {"class": "small muted"}, r.device_serial));
    tr.appendChild(td);
    if (String(r.id) === String(selected)) { tr.classList.add("selected"); tr.setAttribute("aria-selected", "true"); }
    return tr;
  }

  function tick() {
    tbody.querySelectorAll("tr[data-alert]").forEach(function (tr) {
      var t = tr.querySelector("time");
      var span = tr.querySelector("[data-elapsed]");
      if (t && span) { span.textContent = tr.dataset.status === "resolved" ? "" : elapsed(t.getAttribute("datetime")); }
    });
  }

  function setCount(n) {
    countEl.textContent = n;
    document.title = (n ? "(" + n + ") " : "") + baseTitle;
  }

  var lastSig = null;

  function render(list, fresh) {
    // Redraw only when something changed, so a poll does not take the keyboard focus away.
    var sig = JSON.stringify(list);
    if (sig === lastSig && !fresh.length) { return; }
    lastSig = sig;
    var focused = document.activeElement && tbody.contains(document.activeElement)
      ? document.activeElement.getAttribute("data-select") : null;
    var next = {};
    var frag = document.createDocumentFragment();
    list.forEach(function (r) {
      next[r.id] = r;
      var tr = rowNode(r);
      if (fresh.indexOf(r.id) >= 0) { tr.classList.add("fresh"); }
      frag.appendChild(tr);
    });
    tbody.replaceChildren(frag);
    if (focused) {
      var again = tbody.querySelector('[data-select="' + focused + '"]');
      if (again) { again.focus(); }
    }
    empty.hidden = list.length > 0;
    var before = selected !== null ? rows[selected] : null;
    rows = next;
    tick();
    if (selected !== null) {
      var now = rows[selected];
      if (!now) { clearSelection(); }
      else if (!before || before.version !== now.version) { showPanel(now); loadAlertMap(now.id); }
    }
  }

  function poll() {
    fetch(cfg.live_url + "?since=" + encodeURIComponent(since), {headers: {Accept: "application/json"}, credentials: "same-origin", redirect: "manual"})
      .then(function (resp) {
        if (resp.type === "opaqueredirect" || resp.status === 401) { throw new Error("session"); }
        if (!resp.ok) { throw new Error("http " + resp.status); }
        return resp.json();
      })
      .then(function (data) {
        statusEl.textContent = "";
        serverSkew = Date.parse(data.now) - Date.now();
        var fresh = data.new || [];
        render(data.rows, fresh);
        setCount(data.open_count);
        if (fresh.length) {
          var critical = data.rows.some(function (r) { return fresh.indexOf(r.id) >= 0 && r.severity === "critical"; });
          alarm(critical ? "critical" : "technical");
          lastRepeat = Date.now();
          if (fixesTimer) { loadFixes(); }
        }
        since = data.last_id;
        // A critical alert nobody has acknowledged keeps sounding, every 15 s, until someone does.
        var waiting = data.rows.some(function (r) { return r.status === "open" && r.severity === "critical"; });
        if (waiting && !fresh.length && Date.now() - lastRepeat > 15000) { alarm("critical"); lastRepeat = Date.now(); }
        schedule();
      })
      .catch(function (err) {
        if (err && err.message === "session") { statusEl.textContent = L10N.session_ended; return; }
        statusEl.textContent = L10N.offline;
        schedule();
      });
  }
  var pollTimer = null;
  function schedule() { clearTimeout(pollTimer); pollTimer = setTimeout(poll, cfg.poll_ms); }

  /* ---- the panel of the selected alert and its actions ---- */
  function stepForm(r, step, label, extra) {
    var form = el("form", {"class": "op-step", "data-step": step, "data-testid": "step-" + step});
    if (extra) { extra(form); }
    var b = el("button", {type: "submit", "class": step === "acknowledge" ? "primary" : ""}, label);
    form.appendChild(b);
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var body = new FormData(form);
      body.append("step", step);
      body.append("version", String(r.version));
      b.disabled = true;
      fetch(urlFor(cfg.step_url, r.id), {method: "POST", body: body, credentials: "same-origin",
                                          headers: {"X-CSRFToken": csrf, Accept: "application/json"}})
        .then(function (resp) { return resp.json().then(function (data) { return {ok: resp.ok, data: data}; }); })
        .then(function (res) {
          b.disabled = false;
          var errEl = panel.querySelector("[data-panel-error]");
          if (!res.ok) {
            var fields = res.data.fields || {};
            var parts = [res.data.detail].concat(Object.keys(fields).map(function (k) { return fields[k].join(" "); }));
            errEl.textContent = parts.filter(Boolean).join(" ");
            errEl.hidden = false;
            return;
          }
          errEl.hidden = true;
          rows[r.id] = res.data.row;
          showPanel(res.data.row);
          loadAlertMap(r.id);  // a resolved alert hides her position and zones at once
          poll();
        })
        .catch(function () { b.disabled = false; statusEl.textContent = L10N.offline; });
    });
    return form;
  }

  function noteField(form) {
    var id = "op-note-" + form.dataset.step;
    form.appendChild(el("label", {"for": id}, L10N.note));
    form.appendChild(el("textarea", {id: id, name: "note", rows: "2", maxlength: "2000"}));
  }

  function showPanel(r) {
    panelHint.hidden = true;
    panel.hidden = false;
    panel.querySelector("[data-panel-title]").textContent = r.kind_label;
    var facts = panel.querySelector("[data-panel-facts]");
    facts.replaceChildren();
    [r.severity_label, r.status_label, r.raised_local, r.case_number + " · " + r.device_serial,
     r.region + (r.district ? " · " + r.district : "")].forEach(function (text) {
      facts.appendChild(el("li", {}, text));
    });
    panel.querySelector("[data-panel-link]").setAttribute("href", urlFor(cfg.detail_url, r.id));
    var actions = panel.querySelector("[data-panel-actions]");
    actions.replaceChildren();
    panel.querySelector("[data-panel-error]").hidden = true;
    if (r.status === "open") {
      actions.appendChild(stepForm(r, "acknowledge", L10N.acknowledge));
    }
    if (r.status === "acknowledged") {
      actions.appendChild(stepForm(r, "dispatch", L10N.dispatch, noteField));
    }
    if (r.status === "acknowledged" || r.status === "dispatched") {
      actions.appendChild(stepForm(r, "resolve", L10N.resolve, function (form) {
        form.appendChild(el("label", {"for": "op-outcome"}, L10N.outcome));
        var sel = el("select", {id: "op-outcome", name: "outcome", required: ""});
        sel.appendChild(el("option", {value: ""}, "—"));
        cfg.outcomes.forEach(function (o) { sel.appendChild(el("option", {value: o[0]}, o[1])); });
        form.appendChild(sel);
        noteField(form);
      }));
    }
  }

  function clearSelection() {
    selected = null;
    panel.hidden = true;
    panelHint.hidden = false;
    if (alertLayer) { alertLayer.clearLayers(); }
  }

  tbody.addEventListener("click", function (ev) {
    var btn = ev.target.closest("[data-select]");
    if (!btn) { return; }
    selected = btn.getAttribute("data-select");
    tbody.querySelectorAll("tr.selected").forEach(function (tr) { tr.classList.remove("selected"); tr.removeAttribute("aria-selected"); });
    var tr = btn.closest("tr");
    tr.classList.add("selected");
    tr.setAttribute("aria-selected", "true");
    var r = rows[selected];
    if (r) { showPanel(r); }
    loadAlertMap(selected);
  });

  /* ---- the map ---- */
  var map = null, fixesLayer = null, alertLayer = null, fixesTimer = null, alertTimer = null;
  var KZ = [[40.5, 46.4], [55.5, 87.4]];

  function initMap() {
    if (typeof L === "undefined") { return; }
    map = L.map("op-map", {zoomSnap: 0.25, preferCanvas: false, attributionControl: true});
    map.attributionControl.setPrefix("Leaflet");
    map.fitBounds(KZ);
    if (cfg.tile_url) {
      L.tileLayer(cfg.tile_url, {attribution: cfg.tile_attribution, maxZoom: 19}).addTo(map);
    } else {
      map.attributionControl.addAttribution(cfg.tile_attribution);
      fetch(cfg.basemap_url, {credentials: "same-origin", headers: {Accept: "application/json"}})
        .then(function (r) { return r.json(); })
        .then(function (geo) {
          var base = L.geoJSON(geo, {
            interactive: false,
            style: function (f) {
              return f.properties.level === "region"
                ? {color: "#51657a", weight: 1.6, fill: false}
                : {color: "#9aa9b8", weight: 0.7, fill: false};
            }
          }).addTo(map);
          base.bringToBack();
        });
    }
    fixesLayer = L.layerGroup().addTo(map);
    alertLayer = L.layerGroup().addTo(map);
    loadFixes();
    fixesTimer = setInterval(loadFixes, cfg.fixes_poll_ms);
  }

  function loadFixes() {
    fetch(cfg.fixes_url, {credentials: "same-origin", headers: {Accept: "application/json"}})
      .then(function (r) { if (!r.ok) { throw new Error(); } return r.json(); })
      .then(function (data) {
        fixesLayer.clearLayers();
        data.fixes.forEach(function (f) {
          L.circleMarker([f.lat, f.lon], {radius: f.alerting ? 7 : 5, color: f.alerting ? "#a33a2c" : "#17324a",
                                          weight: 2, fillOpacity: 0.8, fillColor: f.alerting ? "#e0604e" : "#4d7ea8"})
            .bindTooltip(f.serial + " · " + new Date(f.ts).toLocaleTimeString() +
                         (f.battery !== null ? " · " + L10N.battery + " " + f.battery + "%" : ""))
            .addTo(fixesLayer);
        });
      })
      .catch(function () { /* the feed's status line already reports a lost connection */ });
  }

  function loadAlertMap(id) {
    clearTimeout(alertTimer);
    if (!map) { return; }
    fetch(urlFor(cfg.map_url, id), {credentials: "same-origin", headers: {Accept: "application/json"}})
      .then(function (r) { if (!r.ok) { throw new Error(); } return r.json(); })
      .then(function (data) {
        if (String(selected) !== String(id)) { return; }
        alertLayer.clearLayers();
        var bounds = [];
        data.zones.forEach(function (z) {
          var g = z.geometry, shape;
          if (z.shape === "circle") {
            shape = L.circle([g.lat, g.lon], {radius: g.radius_m, color: "#8a5a00", weight: 2, fillOpacity: 0.15});
          } else {
            shape = L.polygon(g.ring.map(function (p) { return [p[1], p[0]]; }), {color: "#8a5a00", weight: 2, fillOpacity: 0.15});
          }
          shape.bindTooltip(L10N.zone + ": " + z.place_label).addTo(alertLayer);
          bounds.push(shape.getBounds());
        });
        if (data.track.length) {
          var pts = data.track.map(function (p) { return [p[0], p[1]]; });
          L.polyline(pts, {color: "#a33a2c", weight: 3}).bindTooltip(L10N.his_track).addTo(alertLayer);
          var last = pts[pts.length - 1];
          L.circleMarker(last, {radius: 7, color: "#a33a2c", weight: 3, fillColor: "#fff", fillOpacity: 1})
            .bindTooltip(L10N.his_last_fix + " · " + new Date(data.track[data.track.length - 1][2] * 1000).toLocaleTimeString())
            .addTo(alertLayer);
          bounds.push(L.latLngBounds(pts));
        }
        if (data.victim) {
          L.circleMarker([data.victim.lat, data.victim.lon], {radius: 8, color: "#1f7a4d", weight: 3, fillColor: "#4fc08d", fillOpacity: 0.9})
            .bindTooltip(L10N.her_position).addTo(alertLayer);
          bounds.push(L.latLngBounds([[data.victim.lat, data.victim.lon]]));
        }
        panel.querySelector("[data-panel-hidden]").hidden = !data.hidden;
        if (bounds.length) {
          var all = bounds[0];
          bounds.slice(1).forEach(function (b) { all.extend(b); });
          // Not closer than a few streets: the operator needs the surroundings as much as the points.
          map.fitBounds(all.pad(0.4), {maxZoom: 15});
        }
        // Her position moves: refresh while the alert is not resolved (each read is audited server-side).
        if (!data.hidden) { alertTimer = setTimeout(function () { loadAlertMap(id); }, 15000); }
      })
      .catch(function () { /* reported by the feed */ });
  }

  setInterval(tick, 1000);
  tick();
  // The server-rendered rows are the first state; the feed takes over from here.
  tbody.querySelectorAll("tr[data-alert]").forEach(function (tr) { rows[tr.dataset.alert] = null; });
  window.addEventListener("load", initMap);
  poll();
})();
