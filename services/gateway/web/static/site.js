/* A little on top of pages that work without it: word suggestions under a search box, facet
   counts that follow the filters before the form is sent, and a click on a result reported
   (the course page records the view either way). Same-origin requests to the public API only. */
(function () {
  "use strict";
  var lang = document.documentElement.lang;

  function suggest(input) {
    var list = document.createElement("ul");
    list.className = "suggestions";
    list.id = input.id + "-suggestions";
    list.hidden = true;
    var status = document.createElement("p");
    status.className = "visually-hidden";
    status.setAttribute("role", "status");
    input.insertAdjacentElement("afterend", list);
    list.insertAdjacentElement("afterend", status);
    var timer = null;
    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () {
        var q = input.value.trim();
        if (q.length < 2) { list.hidden = true; list.textContent = ""; return; }
        fetch("/api/v1/suggest?q=" + encodeURIComponent(q)).then(function (r) { return r.ok ? r.json() : { suggestions: [] }; })
          .then(function (answer) {
            var words = answer.suggestions || [];
            list.textContent = "";
            words.forEach(function (word) {
              var item = document.createElement("li");
              var link = document.createElement("a");
              link.href = "/zoeken?q=" + encodeURIComponent(word) + (lang === "en" ? "&lang=en" : "");
              link.textContent = word;
              item.appendChild(link);
              list.appendChild(item);
            });
            list.hidden = words.length === 0;
            status.textContent = words.length ? (words.length + (lang === "en" ? " suggestions below the search box" : " suggesties onder het zoekvak")) : "";
          })
          .catch(function () { list.hidden = true; });
      }, 200);
    });
  }

  function liveCounts(form) {
    var count = document.getElementById("result-count");
    form.addEventListener("change", function (event) {
      if (event.target.type !== "checkbox") { return; }
      var params = new URLSearchParams(new FormData(form));
      params.delete("lang");
      params.set("page_size", "1");
      fetch("/api/v1/search?" + params.toString()).then(function (r) { return r.ok ? r.json() : null; })
        .then(function (answer) {
          if (!answer) { return; }
          document.querySelectorAll("[data-facet]").forEach(function (span) {
            var counts = answer.facets[span.dataset.facet] || {};
            span.textContent = "(" + (counts[span.dataset.value] || 0) + ")";
          });
          if (count) {
            count.innerHTML = "";
            var strong = document.createElement("strong");
            strong.textContent = answer.total;
            count.appendChild(strong);
            count.appendChild(document.createTextNode(lang === "en" ? " courses with these filters (press Show courses)" : " opleidingen met deze filters (kies Toon opleidingen)"));
          }
        }).catch(function () {});
    });
  }

  function clicks() {
    document.querySelectorAll("a[data-click]").forEach(function (link) {
      link.addEventListener("click", function () {
        var body = JSON.stringify({ course_id: link.dataset.course, position: parseInt(link.dataset.position, 10) });
        if (navigator.sendBeacon) {
          navigator.sendBeacon("/api/v1/search/" + link.dataset.click + "/clicks", new Blob([body], { type: "application/json" }));
        }
      });
    });
  }

  /* an import still running: its progress (and then its rejected lines) fetched in place every two
     seconds, announced by the status line; without JavaScript a link reloads the page */
  function progress(box) {
    if (box.dataset.running !== "true") { return; }
    setTimeout(function () {
      fetch(window.location.href, { credentials: "same-origin" }).then(function (r) { return r.text(); })
        .then(function (html) {
          var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("import-progress");
          if (!fresh) { return; }
          box.innerHTML = fresh.innerHTML;
          box.dataset.running = fresh.dataset.running;
          progress(box);
        }).catch(function () {});
    }, 2000);
  }

  /* the search filters are folded on a phone (results first) and open beside the results on a wide screen */
  if (window.matchMedia("(min-width: 50rem)").matches) {
    document.querySelectorAll("details[data-open-wide]").forEach(function (d) { d.open = true; });
  }
  /* an error round: the summary takes focus (a screen reader reads it first), and each of its
     links lands on the field itself (for a group of choices: its first choice) */
  var summary = document.querySelector(".error-summary");
  if (summary) {
    summary.focus();
    summary.addEventListener("click", function (event) {
      var link = event.target.closest("a[href^='#']");
      if (!link) { return; }
      var target = document.getElementById(link.getAttribute("href").slice(1));
      var field = target && (target.matches("input, select, textarea") ? target : target.querySelector("input, select, textarea"));
      if (field) { event.preventDefault(); field.focus(); field.scrollIntoView({ block: "center" }); }
    });
  }
  document.querySelectorAll("input[data-suggest]").forEach(suggest);
  var running = document.getElementById("import-progress");
  if (running) { progress(running); }
  var filters = document.getElementById("filters");
  if (filters) { liveCounts(filters); }
  clicks();
}());
