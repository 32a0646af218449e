// Small progressive enhancement for the registration page. Every rule stays on the server:
// typed values are checked by POST /register/check (the engine's verdict), nothing here.
(function () {
  "use strict";
  var summary = document.getElementById("error-summary");
  if (summary) { summary.focus(); }

  var csrfInput = document.querySelector("input[name=csrf_token]");
  var csrf = csrfInput ? csrfInput.value : "";

  function check(field, value, done) {
    var xhr = new XMLHttpRequest();
    xhr.open("POST", "/register/check");
    xhr.setRequestHeader("Content-Type", "application/json");
    xhr.setRequestHeader("X-CSRF-Token", csrf);
    xhr.onload = function () {
      if (xhr.status === 200) {
        try { done(JSON.parse(xhr.responseText)); } catch (e) { /* ignore */ }
      }
    };
    xhr.send(JSON.stringify({ field: field, value: value }));
  }

  function debounce(fn, ms) {
    var timer = null;
    return function () { clearTimeout(timer); timer = setTimeout(fn, ms); };
  }

  // the resend countdown
  var countdown = document.getElementById("resend-countdown");
  if (countdown) {
    var left = parseInt(countdown.getAttribute("data-seconds"), 10) || 0;
    var resendButton = document.querySelector("#resend button[type=submit]");
    var wait = document.getElementById("resend-wait");
    var tick = function () {
      countdown.textContent = String(left);
      if (left <= 0) {
        if (resendButton) { resendButton.disabled = false; }
        if (wait) { wait.classList.add("done"); }
        return;
      }
      left -= 1;
      setTimeout(tick, 1000);
    };
    tick();
  }

  // an HPR ID checked as typed
  var hprId = document.getElementById("hprId");
  var hprIdError = document.getElementById("hprId-error");
  var hprIdOk = document.getElementById("hprId-ok");
  if (hprId && hprIdError) {
    hprId.addEventListener("input", debounce(function () {
      if (!hprId.value.trim()) { hprIdError.textContent = ""; if (hprIdOk) { hprIdOk.hidden = true; } return; }
      check("hprId", hprId.value, function (r) {
        hprIdError.textContent = r.ok ? "" : r.message;
        hprId.setAttribute("aria-invalid", r.ok ? "false" : "true");
        if (hprIdOk) { hprIdOk.textContent = r.ok ? r.message : ""; hprIdOk.hidden = !r.ok; }
      });
    }, 250));
  }

  // the password policy as a live checklist
  var password = document.getElementById("password");
  var checklist = document.getElementById("password-checklist");
  if (password && checklist) {
    password.addEventListener("input", debounce(function () {
      check("password", password.value, function (r) {
        (r.checklist || []).forEach(function (c) {
          var li = checklist.querySelector("li[data-criterion='" + c.id + "']");
          if (li) { li.setAttribute("data-met", c.met ? "true" : "false"); }
        });
      });
    }, 150));
  }

  // sub-categories of the chosen category only
  var category = document.getElementById("hpCategoryCode");
  var sub = document.getElementById("hpSubCategoryCode");
  if (category && sub) {
    var filter = function () {
      var chosen = category.value;
      Array.prototype.forEach.call(sub.querySelectorAll("optgroup"), function (group) {
        var match = !chosen || group.getAttribute("data-parent") === chosen;
        group.hidden = !match;
        group.disabled = !match;
      });
      var selected = sub.options[sub.selectedIndex];
      if (selected && selected.parentNode.tagName === "OPTGROUP" && selected.parentNode.disabled) {
        sub.value = "";
      }
    };
    category.addEventListener("change", filter);
    filter();
  }

  // print the result card
  var print = document.getElementById("print");
  if (print) {
    print.hidden = false;
    print.addEventListener("click", function () { window.print(); });
  }
})();
