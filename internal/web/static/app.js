// The pages' script: charts (uPlot), the wallet's actions and the chat
// playground. Every request carries the page's access hash, if any.
(function () {
  "use strict";
  var query = document.body.dataset.query || "";
  function withQuery(path) { return path + query; }

  // Charts: draw series into a container, resizing with it.
  function plot(el, xs, ys, label, color) {
    el.textContent = "";
    var width = Math.max(200, el.clientWidth || 300);
    var opts = {
      width: width, height: 160, legend: { show: false },
      axes: [{ stroke: "#667085" }, { stroke: "#667085", size: 60 }],
      series: [{}].concat(ys.map(function (_, i) { return { label: label[i], stroke: color[i], width: 2, spanGaps: false }; })),
      scales: { x: { time: true } }
    };
    var u = new uPlot(opts, [xs].concat(ys), el);
    new ResizeObserver(function () { u.setSize({ width: Math.max(200, el.clientWidth), height: 160 }); }).observe(el);
    return u;
  }

  var nodeCharts = document.querySelectorAll(".chart[data-series]");
  function drawNodeCharts() {
    fetch(withQuery("/web/series.json")).then(function (r) { return r.json(); }).then(function (d) {
      nodeCharts.forEach(function (el) {
        var key = el.dataset.series;
        if (el._plot) { el._plot.setData([d.t, d[key]]); return; }
        el._plot = plot(el, d.t, [d[key]], [key], ["#0088cc"]);
      });
    }).catch(function () {});
  }
  if (nodeCharts.length) { drawNodeCharts(); setInterval(drawNodeCharts, 10000); }

  // The wallet page: balance and spending over time, from the chain.
  var history = document.querySelectorAll(".chart.history");
  if (history.length) {
    fetch(withQuery("/wallet.json")).then(function (r) { return r.json(); }).then(function (w) {
      history.forEach(function (el) {
        var c = w.contracts[+el.dataset.index];
        if (!c || !c.history.length) { return; }
        var xs = c.history.map(function (p) { return p.t; });
        // Display only: the figures on the page are exact decimals.
        var credit = c.history.map(function (p) { return parseFloat(p.credit_ton); });
        var spent = c.history.map(function (p) { return parseFloat(p.spent_ton); });
        plot(el, xs, [credit, spent], ["balance (TON)", "spent (TON)"], ["#0088cc", "#b42318"]);
      });
    }).catch(function () {});
  }

  // The wallet's actions: confirm, call the client's control endpoint,
  // then follow the chain until the contracts change.
  var result = document.getElementById("action-result");
  function contractsKey(w) {
    return JSON.stringify(w.contracts.map(function (c) { return [c.address, c.state, c.credit_ton, c.phase]; }));
  }
  function follow(before, started) {
    fetch(withQuery("/wallet.json")).then(function (r) { return r.json(); }).then(function (w) {
      if (contractsKey(w) !== before) {
        result.textContent += "\n\nOn chain now:\n" + w.contracts.map(function (c) {
          return c.address + ": " + ["normal", "closing", "closed"][c.state] + ", balance " + c.credit_ton + " TON, phase " + c.phase;
        }).join("\n");
        return;
      }
      if (Date.now() - started > 180000) { result.textContent += "\n\nThe chain shows no change yet; reload later."; return; }
      setTimeout(function () { follow(before, started); }, 1500);
    }).catch(function (e) { result.textContent += "\n\nReading the wallet failed: " + e; });
  }
  document.querySelectorAll("button[data-action]").forEach(function (b) {
    b.addEventListener("click", function () {
      if (!window.confirm(b.dataset.confirm)) { return; }
      result.className = "";
      result.textContent = "Sending " + b.dataset.action + "…";
      fetch(withQuery("/wallet.json")).then(function (r) { return r.json(); }).then(function (w) {
        var before = contractsKey(w);
        return fetch(withQuery("/control/" + b.dataset.action), { method: "POST" }).then(function (r) {
          return r.text().then(function (t) {
            result.textContent = b.dataset.action + ": HTTP " + r.status + "\n" + t;
            if (r.ok) { result.textContent += "\nWaiting for the chain…"; follow(before, Date.now()); }
          });
        });
      }).catch(function (e) { result.textContent = b.dataset.action + " failed: " + e; });
    });
  });

  // The playground: list the models, stream a chat completion.
  var form = document.getElementById("chat");
  if (form) {
    var model = document.getElementById("model");
    var key = document.getElementById("apikey");
    var answer = document.getElementById("answer");
    var status = document.getElementById("chat-status");
    var headers = function () {
      var h = { "Content-Type": "application/json" };
      if (key.value) { h.Authorization = "Bearer " + key.value; }
      return h;
    };
    var loadModels = function () {
      fetch("/v1/models", { headers: headers() }).then(function (r) {
        if (!r.ok) { throw new Error("HTTP " + r.status); }
        return r.json();
      }).then(function (d) {
        model.textContent = "";
        (d.data || []).forEach(function (m) {
          var o = document.createElement("option");
          o.value = o.textContent = m.id;
          model.appendChild(o);
        });
        status.textContent = (d.data || []).length ? "" : "The network serves no model right now.";
      }).catch(function (e) { status.textContent = "Listing the models failed (" + e.message + "): give the API key if the client demands one."; });
    };
    key.addEventListener("change", loadModels);
    loadModels();
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      answer.textContent = "";
      status.textContent = "Waiting for the first token…";
      var t0 = performance.now(), first = 0, events = 0;
      var body = { model: model.value, stream: true, max_tokens: +document.getElementById("maxtokens").value || 64,
        messages: [{ role: "user", content: document.getElementById("prompt").value }] };
      fetch("/v1/chat/completions", { method: "POST", headers: headers(), body: JSON.stringify(body) }).then(function (r) {
        if (!r.ok) { return r.text().then(function (t) { throw new Error("HTTP " + r.status + ": " + t); }); }
        var reader = r.body.getReader(), dec = new TextDecoder(), buf = "";
        var pump = function () {
          return reader.read().then(function (chunk) {
            if (chunk.done) {
              status.textContent = "Done: " + events + " events, first token after " + Math.round(first - t0) + " ms, " + Math.round(performance.now() - t0) + " ms in all.";
              form.dataset.done = "1";
              return;
            }
            buf += dec.decode(chunk.value, { stream: true });
            var parts = buf.split("\n\n");
            buf = parts.pop();
            parts.forEach(function (evt) {
              evt.split("\n").forEach(function (line) {
                if (line.indexOf("data:") !== 0) { return; }
                var data = line.slice(5).trim();
                if (data === "[DONE]") { return; }
                var j = JSON.parse(data);
                if (j.error) { throw new Error(j.error.message); }
                var c = j.choices && j.choices[0] && j.choices[0].delta && j.choices[0].delta.content;
                if (c) {
                  if (!first) { first = performance.now(); status.textContent = "Streaming…"; }
                  events++;
                  answer.textContent += c;
                }
              });
            });
            return pump();
          });
        };
        return pump();
      }).catch(function (e) { status.textContent = "Failed: " + e.message; });
    });
  }
})();
