// Progressive enhancement of the WfRun page: while the run is not finished,
// fetch its live parts again every data-poll-ms and swap them in; the forms
// between them stay as the user left them. Without this the page still works
// (a reload shows the same). Also preselects the content type an
// ExternalEventDef declares in the event form.
(function () {
  "use strict";

  function follow(live) {
    var url = live.getAttribute("data-live-url");
    var every = parseInt(live.getAttribute("data-poll-ms"), 10) || 1000;
    function finished() {
      var state = live.querySelector(".live-state");
      return !state || state.getAttribute("data-final") === "true";
    }
    function tick() {
      if (finished()) { return; }
      fetch(url, { cache: "no-store", headers: { Accept: "text/html" } })
        .then(function (response) { return response.ok ? response.text() : Promise.reject(response.status); })
        .then(function (html) {
          var fresh = document.createElement("template");
          fresh.innerHTML = html;
          var open = Array.prototype.map.call(live.querySelectorAll("details[open] > summary"),
            function (s) { return s.textContent; });
          Array.prototype.forEach.call(fresh.content.querySelectorAll("[data-live-part]"), function (part) {
            var old = live.querySelector('[data-live-part="' + part.getAttribute("data-live-part") + '"]');
            if (old) { old.replaceWith(part); }
          });
          Array.prototype.forEach.call(live.querySelectorAll("details > summary"), function (s) {
            if (open.indexOf(s.textContent) >= 0) { s.parentNode.open = true; }
          });
          window.canterRenderGraphs(live);
        })
        .catch(function () { /* the next tick tries again */ })
        .then(function () { setTimeout(tick, every); });
    }
    setTimeout(tick, every);
  }

  function typeFollowsEvent(form) {
    var name = form.querySelector("#event");
    var type = form.querySelector("#type");
    if (!name || !type) { return; }
    name.addEventListener("change", function () {
      var option = form.querySelector('#event-names option[value="' + CSS.escape(name.value) + '"]');
      var declared = option && option.getAttribute("data-type");
      if (declared) { type.value = declared; }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var live = document.getElementById("live");
    if (live) { follow(live); }
    Array.prototype.forEach.call(document.querySelectorAll(".event-form"), typeFollowsEvent);
  });
})();
